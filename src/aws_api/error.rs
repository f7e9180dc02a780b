//! AWS Query protocol errors: the code, message and HTTP status an AWS client sees.
//!
//! Codes and statuses follow botocore's service models (`iam` 2010-05-08, `sts` 2011-06-15: the
//! error shapes' `error.code` / `error.httpStatusCode`) and the "Common Errors" page of the IAM
//! and STS API references for the errors every Query API shares (authentication, validation).
//! Domain services never build these: the action handlers map their typed errors here, once.

use super::sigv4::SigV4Error;
use super::xml::{self, IAM_NAMESPACE};

/// One AWS error as sent on the wire: `<Error><Type/><Code/><Message/></Error>` plus a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// AWS error code, e.g. `NoSuchEntity`.
    pub code: &'static str,
    /// Human-readable message; shown to the caller, so never an internal cause.
    pub message: String,
    /// HTTP status code.
    pub status: u16,
    /// `true`: `<Type>Sender</Type>` (the caller's fault); `false`: `Receiver` (ours).
    pub sender: bool,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}

/// Message of AWS's `InvalidClientTokenId` (unknown or inactive access key).
pub const INVALID_CLIENT_TOKEN_ID_MESSAGE: &str =
    "The security token included in the request is invalid.";
/// Message of AWS's `ExpiredToken` (temporary credentials past their expiry).
pub const EXPIRED_TOKEN_MESSAGE: &str = "The security token included in the request is expired";

impl AwsError {
    /// A sender (client) fault with the given code, status and message.
    pub fn sender(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status,
            sender: true,
        }
    }

    /// A receiver (server) fault with the given code, status and message.
    pub fn receiver(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status,
            sender: false,
        }
    }

    pub fn code(&self) -> &str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// `Sender` or `Receiver`, the `<Type>` element.
    pub fn fault_type(&self) -> &'static str {
        if self.sender {
            "Sender"
        } else {
            "Receiver"
        }
    }

    // --- IAM service errors (botocore `iam` error shapes) ---

    /// `NoSuchEntity` 404, e.g. "The user with name bob cannot be found."
    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::sender("NoSuchEntity", 404, message)
    }

    /// `EntityAlreadyExists` 409, e.g. "User with name bob already exists."
    pub fn entity_already_exists(message: impl Into<String>) -> Self {
        Self::sender("EntityAlreadyExists", 409, message)
    }

    /// `LimitExceeded` 409, e.g. "Cannot exceed quota for AccessKeysPerUser: 2".
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::sender("LimitExceeded", 409, message)
    }

    /// `DeleteConflict` 409, e.g. "Cannot delete entity, must delete access keys first."
    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::sender("DeleteConflict", 409, message)
    }

    /// `MalformedPolicyDocument` 400 (IAM and STS).
    pub fn malformed_policy_document(message: impl Into<String>) -> Self {
        Self::sender("MalformedPolicyDocument", 400, message)
    }

    /// `InvalidInput` 400.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::sender("InvalidInput", 400, message)
    }

    /// `ConcurrentModification` 409.
    pub fn concurrent_modification(message: impl Into<String>) -> Self {
        Self::sender("ConcurrentModification", 409, message)
    }

    /// `EntityTemporarilyUnmodifiable` 409.
    pub fn entity_temporarily_unmodifiable(message: impl Into<String>) -> Self {
        Self::sender("EntityTemporarilyUnmodifiable", 409, message)
    }

    /// `UnmodifiableEntity` 400 (e.g. service-linked roles).
    pub fn unmodifiable_entity(message: impl Into<String>) -> Self {
        Self::sender("UnmodifiableEntity", 400, message)
    }

    /// `PasswordPolicyViolation` 400.
    pub fn password_policy_violation(message: impl Into<String>) -> Self {
        Self::sender("PasswordPolicyViolation", 400, message)
    }

    /// `PolicyNotAttachable` 400.
    pub fn policy_not_attachable(message: impl Into<String>) -> Self {
        Self::sender("PolicyNotAttachable", 400, message)
    }

    /// `InvalidAuthenticationCode` 403 (MFA code rejected).
    pub fn invalid_authentication_code(message: impl Into<String>) -> Self {
        Self::sender("InvalidAuthenticationCode", 403, message)
    }

    /// `ReportInProgress` 404 (credential report not ready).
    pub fn report_in_progress(message: impl Into<String>) -> Self {
        Self::sender("ReportInProgress", 404, message)
    }

    /// `ReportNotPresent` 410.
    pub fn report_not_present(message: impl Into<String>) -> Self {
        Self::sender("ReportNotPresent", 410, message)
    }

    /// `ServiceFailure` 500, a `Receiver` fault. The message is AWS's generic one: internal causes
    /// are logged with the request id, never shown.
    pub fn service_failure() -> Self {
        Self::receiver(
            "ServiceFailure",
            500,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    // --- STS service errors (botocore `sts` error shapes) ---

    /// `PackedPolicyTooLarge` 400.
    pub fn packed_policy_too_large(message: impl Into<String>) -> Self {
        Self::sender("PackedPolicyTooLarge", 400, message)
    }

    /// `IDPRejectedClaim` 403.
    pub fn idp_rejected_claim(message: impl Into<String>) -> Self {
        Self::sender("IDPRejectedClaim", 403, message)
    }

    /// `InvalidIdentityToken` 400.
    pub fn invalid_identity_token(message: impl Into<String>) -> Self {
        Self::sender("InvalidIdentityToken", 400, message)
    }

    /// `IDPCommunicationError` 400.
    pub fn idp_communication_error(message: impl Into<String>) -> Self {
        Self::sender("IDPCommunicationError", 400, message)
    }

    /// `ExpiredTokenException` 400: STS's modelled error for an expired web identity / SAML token
    /// passed as a parameter (not for expired request credentials: see [`AwsError::expired_token`]).
    pub fn expired_token_exception(message: impl Into<String>) -> Self {
        Self::sender("ExpiredTokenException", 400, message)
    }

    /// `RegionDisabledException` 403.
    pub fn region_disabled(message: impl Into<String>) -> Self {
        Self::sender("RegionDisabledException", 403, message)
    }

    // --- Common errors shared by every Query API ---

    /// `AccessDenied` 403, e.g. "User: arn:... is not authorized to perform: iam:ListUsers on
    /// resource: arn:..." (IAM answers with this code and status).
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::sender("AccessDenied", 403, message)
    }

    /// `ValidationError` 400, e.g. "1 validation error detected: Value null at 'userName' failed
    /// to satisfy constraint: Member must not be null".
    pub fn validation_error(message: impl Into<String>) -> Self {
        Self::sender("ValidationError", 400, message)
    }

    /// `InvalidClientTokenId` 403: the access key id is unknown (or inactive).
    pub fn invalid_client_token_id() -> Self {
        Self::sender("InvalidClientTokenId", 403, INVALID_CLIENT_TOKEN_ID_MESSAGE)
    }

    /// `SignatureDoesNotMatch` 403.
    pub fn signature_does_not_match(message: impl Into<String>) -> Self {
        Self::sender("SignatureDoesNotMatch", 403, message)
    }

    /// `ExpiredToken` 403: the request's temporary credentials (session token) have expired.
    pub fn expired_token() -> Self {
        Self::sender("ExpiredToken", 403, EXPIRED_TOKEN_MESSAGE)
    }

    /// `IncompleteSignature` 400.
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::sender("IncompleteSignature", 400, message)
    }

    /// `MissingAuthenticationToken` 403.
    pub fn missing_authentication_token() -> Self {
        Self::sender(
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token",
        )
    }

    /// `InvalidAction` 400: "Could not find operation {action} for version {version}".
    pub fn invalid_action(action: &str, version: &str) -> Self {
        Self::sender(
            "InvalidAction",
            400,
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// `MissingAction` 400: no `Action` parameter at all.
    pub fn missing_action() -> Self {
        Self::sender("MissingAction", 400, "Missing Action")
    }

    /// `MissingParameter` 400.
    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::sender("MissingParameter", 400, message)
    }

    /// `InvalidParameterValue` 400.
    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::sender("InvalidParameterValue", 400, message)
    }

    /// `MalformedQueryString` 404 (the status AWS's common-errors table gives): the form body or
    /// query string cannot be decoded.
    pub fn malformed_query_string(message: impl Into<String>) -> Self {
        Self::sender("MalformedQueryString", 404, message)
    }

    /// `Throttling` 400 "Rate exceeded", as IAM and STS answer.
    pub fn throttling() -> Self {
        Self::sender("Throttling", 400, "Rate exceeded")
    }

    /// The `<ErrorResponse>` body in the IAM namespace.
    pub fn to_xml(&self, request_id: &str) -> String {
        self.to_xml_in(IAM_NAMESPACE, request_id)
    }

    /// The `<ErrorResponse>` body in the given namespace (use [`xml::STS_NAMESPACE`] for STS).
    pub fn to_xml_in(&self, namespace: &str, request_id: &str) -> String {
        xml::error_response(namespace, self, request_id)
    }
}

impl From<SigV4Error> for AwsError {
    fn from(error: SigV4Error) -> Self {
        Self::sender(error.code(), error.status(), error.message())
    }
}

impl From<crate::authz::Denied> for AwsError {
    fn from(denied: crate::authz::Denied) -> Self {
        match denied {
            crate::authz::Denied::AccessDenied(message) => Self::access_denied(message),
            crate::authz::Denied::Undecided(error) => error.into(),
        }
    }
}
