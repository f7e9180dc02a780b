//! The module's one error type and the validation finding type.
//!
//! Messages follow IAM's wording for `MalformedPolicyDocument` where IAM has one (for example
//! "Policy document should not specify a principal.", "Statement IDs (SID) in a single policy must
//! be unique.", "The policy failed legacy parsing").

use std::fmt;

/// How serious a finding is: errors make IAM reject the document, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One validation finding, pointing at the statement when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Zero-based statement index, `None` for document-level findings.
    pub statement: Option<usize>,
    pub sid: Option<String>,
    pub message: String,
}

impl Finding {
    pub(crate) fn error(statement: Option<usize>, sid: Option<&str>, message: String) -> Finding {
        Finding {
            severity: Severity::Error,
            statement,
            sid: sid.map(str::to_owned),
            message,
        }
    }

    pub(crate) fn warning(statement: Option<usize>, sid: Option<&str>, message: String) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(statement, sid, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: ")?;
        match (self.statement, &self.sid) {
            (Some(i), Some(sid)) => write!(f, "Statement[{i}] (Sid {sid}): ")?,
            (Some(i), None) => write!(f, "Statement[{i}]: ")?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

/// Errors of the policy module. Maps to AWS `MalformedPolicyDocument` (or `LimitExceeded` for
/// [`PolicyError::TooLarge`]) at the API surface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The document is not JSON (IAM: "Syntax errors in policy.").
    #[error("Syntax errors in policy. {0}")]
    Syntax(String),
    /// The document is JSON but not a valid policy; the first error finding.
    #[error("{}", .0.message)]
    Malformed(Finding),
    /// The document exceeds the size quota for its attachment (whitespace not counted).
    #[error("Cannot exceed quota for PolicySize: {limit}")]
    TooLarge { limit: usize, size: usize },
}

impl PolicyError {
    /// The statement the error points at, if any.
    pub fn statement(&self) -> Option<usize> {
        match self {
            PolicyError::Malformed(f) => f.statement,
            _ => None,
        }
    }
}
