//! `keyward policy validate|simulate`: answers about policy documents without a server.
//!
//! This file only reads files, parses arguments and prints; every decision is made by
//! `crate::policy`.
//!
//! Exit codes: `validate` 0 when IAM would accept the document (warnings allowed), 1 when it has
//! errors; `simulate` 0 when the request is allowed, 1 when it is denied. Unreadable files and bad
//! arguments are errors (`Err`), which `main` reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _};

use crate::policy::{
    evaluate, validate, ContextValue, DecisionEffect, EvaluationInput, Policy, PolicyKind,
    Principal, RequestContext, Severity, ValidationLimit,
};

/// `keyward policy ...`
// Parsed once per process: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(clap::Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check a policy document the way IAM would; prints findings, exits 1 on errors.
    Validate(ValidateArgs),
    /// Decide one request against local policy files and print the explanation.
    Simulate(SimulateArgs),
}

/// How a document is used.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    Identity,
    Resource,
    Trust,
    Boundary,
    Session,
}

impl From<KindArg> for PolicyKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Identity => PolicyKind::Identity,
            KindArg::Resource => PolicyKind::Resource,
            KindArg::Trust => PolicyKind::Trust,
            KindArg::Boundary => PolicyKind::Boundary,
            KindArg::Session => PolicyKind::Session,
        }
    }
}

/// The size quota to check against.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitArg {
    /// Managed policy: 6,144 characters.
    Managed,
    /// User inline policy: 2,048.
    UserInline,
    /// Group inline policy: 5,120.
    GroupInline,
    /// Role inline policy: 10,240.
    RoleInline,
    /// Role trust policy: 2,048.
    Trust,
    /// No size quota.
    None,
}

impl From<LimitArg> for ValidationLimit {
    fn from(l: LimitArg) -> Self {
        match l {
            LimitArg::Managed => ValidationLimit::Managed,
            LimitArg::UserInline => ValidationLimit::UserInline,
            LimitArg::GroupInline => ValidationLimit::GroupInline,
            LimitArg::RoleInline => ValidationLimit::RoleInline,
            LimitArg::Trust => ValidationLimit::Trust,
            LimitArg::None => ValidationLimit::Unlimited,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// The policy document (JSON).
    pub file: PathBuf,
    /// How the document is used.
    #[arg(long, value_enum, default_value = "identity")]
    pub kind: KindArg,
    /// Size quota; defaults to `managed` for identity and boundary, `trust` for trust policies,
    /// none otherwise.
    #[arg(long, value_enum)]
    pub limit: Option<LimitArg>,
}

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Identity-based policy files (managed or inline), repeatable.
    #[arg(long = "policy", value_name = "FILE", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Permissions boundary file.
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// Session policy files, repeatable.
    #[arg(long = "session-policy", value_name = "FILE", num_args = 1..)]
    pub session_policies: Vec<PathBuf>,
    /// Resource-based policy file of the target resource.
    #[arg(long, value_name = "FILE", conflicts_with = "trust_policy")]
    pub resource_policy: Option<PathBuf>,
    /// A role trust policy file (for sts:AssumeRole* actions).
    #[arg(long, value_name = "FILE")]
    pub trust_policy: Option<PathBuf>,
    /// The account that owns the resource (default: the principal's).
    #[arg(long)]
    pub resource_account: Option<String>,
    /// The caller: a user, assumed-role, federated-user or root ARN.
    #[arg(long, default_value = "arn:aws:iam::123456789012:user/simulated")]
    pub principal: String,
    /// Principal tags `key=value`, repeatable.
    #[arg(long = "principal-tag", value_name = "KEY=VALUE")]
    pub principal_tags: Vec<String>,
    /// The action, e.g. `iam:CreateUser`.
    #[arg(long)]
    pub action: String,
    /// The resource ARN (or `*`). Repeatable: each resource is decided on its own, and the
    /// action's decision is the most restrictive of them, as IAM's simulator reports it.
    #[arg(long = "resource", value_name = "ARN", default_value = "*")]
    pub resources: Vec<String>,
    /// Context keys `key=type:value`; type is string, strings (comma-separated), bool, number,
    /// date, ip or binary (base64). Repeatable.
    #[arg(long = "context", value_name = "KEY=TYPE:VALUE")]
    pub context: Vec<String>,
}

/// Runs one `keyward policy` command, writing its report to `out`.
pub fn run(cmd: PolicyCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match cmd {
        PolicyCommand::Validate(args) => run_validate(&args, out),
        PolicyCommand::Simulate(args) => run_simulate(&args, out),
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn default_limit(kind: KindArg) -> ValidationLimit {
    match kind {
        KindArg::Identity | KindArg::Boundary => ValidationLimit::Managed,
        KindArg::Trust => ValidationLimit::Trust,
        KindArg::Resource | KindArg::Session => ValidationLimit::Unlimited,
    }
}

fn run_validate(args: &ValidateArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let json = read(&args.file)?;
    let limit = args
        .limit
        .map_or_else(|| default_limit(args.kind), Into::into);
    let findings = validate(&json, args.kind.into(), limit);
    for f in &findings {
        writeln!(out, "{}: {f}", args.file.display())?;
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    writeln!(out, "{errors} error(s), {warnings} warning(s)")?;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn load(path: &Path, kind: PolicyKind) -> anyhow::Result<Policy> {
    let json = read(path)?;
    let policy = Policy::parse(&json, kind)
        .map_err(|e| anyhow!("{}: MalformedPolicyDocument: {e}", path.display()))?;
    Ok(policy.with_label(&path.display().to_string()))
}

fn run_simulate(args: &SimulateArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let identity = args
        .policies
        .iter()
        .map(|p| load(p, PolicyKind::Identity))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let session = args
        .session_policies
        .iter()
        .map(|p| load(p, PolicyKind::Session))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let boundary = args
        .boundary
        .as_deref()
        .map(|p| load(p, PolicyKind::Boundary))
        .transpose()?;
    let resource = match (&args.resource_policy, &args.trust_policy) {
        (Some(p), _) => Some(load(p, PolicyKind::Resource)?),
        (None, Some(p)) => Some(load(p, PolicyKind::Trust)?),
        (None, None) => None,
    };
    let mut overall: Option<DecisionEffect> = None;
    let several = args.resources.len() > 1;
    for arn in &args.resources {
        let ctx = build_context(args, arn)?;
        let decision = evaluate(&EvaluationInput {
            context: &ctx,
            identity: &identity,
            boundary: boundary.as_ref(),
            session: &session,
            resource: resource.as_ref(),
            resource_account: args.resource_account.as_deref(),
        });
        if several {
            writeln!(out, "Resource: {arn}")?;
        }
        write!(out, "{decision}")?;
        if let Some(msg) = decision.access_denied_message(&ctx) {
            writeln!(out, "AccessDenied: {msg}")?;
        }
        if several {
            writeln!(out)?;
        }
        overall = Some(match overall {
            Some(d) => d.most_restrictive(decision.effect),
            None => decision.effect,
        });
    }
    let overall = overall.unwrap_or(DecisionEffect::ImplicitDeny);
    if several {
        writeln!(
            out,
            "Decision across {} resources: {}",
            args.resources.len(),
            overall.iam_name()
        )?;
    }
    Ok(if overall == DecisionEffect::Allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn build_context(args: &SimulateArgs, resource: &str) -> anyhow::Result<RequestContext> {
    let mut principal = Principal::from_arn(&args.principal).ok_or_else(|| {
        anyhow!(
            "--principal {}: expected a user, assumed-role, federated-user or root ARN",
            args.principal
        )
    })?;
    for t in &args.principal_tags {
        let (k, v) = t
            .split_once('=')
            .ok_or_else(|| anyhow!("--principal-tag {t}: expected KEY=VALUE"))?;
        principal = principal.with_tag(k, v);
    }
    let mut ctx = RequestContext::new(principal, &args.action, resource);
    for c in &args.context {
        let (key, value) = parse_context(c)?;
        ctx.insert(key, value);
    }
    Ok(ctx)
}

/// Parses `key=type:value`.
fn parse_context(arg: &str) -> anyhow::Result<(&str, ContextValue)> {
    let Some((key, typed)) = arg.split_once('=') else {
        bail!("--context {arg}: expected KEY=TYPE:VALUE");
    };
    let Some((ty, v)) = typed.split_once(':') else {
        bail!("--context {arg}: expected KEY=TYPE:VALUE");
    };
    let values: Vec<&str> = if ty.ends_with("List") || ty == "strings" {
        v.split(',').filter(|s| !s.is_empty()).collect()
    } else {
        vec![v]
    };
    let value =
        ContextValue::from_typed(ty, &values).map_err(|e| anyhow!("--context {arg}: {e}"))?;
    Ok((key, value))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        cmd: PolicyCommand,
    }

    fn file(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    }

    fn run_args(args: &[&str]) -> (anyhow::Result<ExitCode>, String) {
        let cli =
            Cli::try_parse_from(std::iter::once("policy").chain(args.iter().copied())).unwrap();
        let mut out = Vec::new();
        let r = run(cli.cmd, &mut out);
        (r, String::from_utf8(out).unwrap())
    }

    const ALLOW_IAM: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Users","Effect":"Allow","Action":"iam:*User","Resource":"*"},
        {"Sid":"NoDelete","Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}"#;

    #[test]
    fn validate_reports_errors_and_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let good = file(&dir, "good.json", ALLOW_IAM);
        let (r, out) = run_args(&["validate", &good]);
        assert_eq!(r.unwrap(), ExitCode::SUCCESS);
        assert!(out.contains("0 error(s), 0 warning(s)"), "{out}");

        let bad = file(
            &dir,
            "bad.json",
            r#"{"Version":"2012-10-17","Statement":{"Sid":"S1","Action":"iam:GetUser","Resource":"*"}}"#,
        );
        let (r, out) = run_args(&["validate", &bad]);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        assert!(
            out.contains("Statement[0] (Sid S1): Missing required field Effect"),
            "{out}"
        );
        assert!(out.contains("1 error(s)"), "{out}");
    }

    #[test]
    fn validate_applies_the_kind_and_limit() {
        let dir = tempfile::tempdir().unwrap();
        let trust = file(
            &dir,
            "trust.json",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
        );
        let (r, out) = run_args(&["validate", "--kind", "trust", &trust]);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        assert!(out.contains("Statement/Principal is missing"), "{out}");
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}}}"#,
            "b".repeat(2100)
        );
        let big = file(&dir, "big.json", &big);
        let (r, out) = run_args(&["validate", "--limit", "user-inline", &big]);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        assert!(
            out.contains("Cannot exceed quota for PolicySize: 2048"),
            "{out}"
        );
        let (r, _) = run_args(&["validate", &big]);
        assert_eq!(r.unwrap(), ExitCode::SUCCESS);
    }

    #[test]
    fn simulate_allows_and_denies_with_explanation() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "p.json", ALLOW_IAM);
        let (r, out) = run_args(&["simulate", "--policy", &p, "--action", "iam:CreateUser"]);
        assert_eq!(r.unwrap(), ExitCode::SUCCESS);
        assert!(out.contains("Decision: allowed"), "{out}");
        assert!(out.contains("statement 0 (Sid Users)"), "{out}");

        let (r, out) = run_args(&["simulate", "--policy", &p, "--action", "iam:DeleteUser"]);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        assert!(out.contains("Decision: explicitDeny"), "{out}");
        assert!(
            out.contains("with an explicit deny in an identity-based policy"),
            "{out}"
        );

        let (r, out) = run_args(&["simulate", "--policy", &p, "--action", "iam:CreateRole"]);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        assert!(
            out.contains("because no identity-based policy allows the iam:CreateRole action"),
            "{out}"
        );
    }

    #[test]
    fn simulate_decides_each_resource_and_reports_the_most_restrictive() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "p.json",
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/*"},
                {"Effect":"Deny","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/admin"}]}"#,
        );
        let alice = "arn:aws:iam::123456789012:user/alice";
        let admin = "arn:aws:iam::123456789012:user/admin";
        let (r, out) = run_args(&[
            "simulate",
            "--policy",
            &p,
            "--action",
            "iam:GetUser",
            "--resource",
            alice,
            "--resource",
            admin,
        ]);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        let alice_at = out
            .find(&format!("Resource: {alice}\nDecision: allowed"))
            .unwrap();
        let admin_at = out
            .find(&format!("Resource: {admin}\nDecision: explicitDeny"))
            .unwrap();
        assert!(alice_at < admin_at, "{out}");
        assert!(
            out.ends_with("Decision across 2 resources: explicitDeny\n"),
            "{out}"
        );
        let (r, out) = run_args(&[
            "simulate",
            "--policy",
            &p,
            "--action",
            "iam:GetUser",
            "--resource",
            alice,
        ]);
        assert_eq!(r.unwrap(), ExitCode::SUCCESS);
        assert!(!out.contains("Decision across"), "{out}");
    }

    #[test]
    fn simulate_reads_typed_context_and_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(
            &dir,
            "p.json",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",
               "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"}}}}"#,
        );
        let b = file(
            &dir,
            "b.json",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#,
        );
        let base = [
            "simulate",
            "--policy",
            &p,
            "--boundary",
            &b,
            "--resource",
            "arn:aws:s3:::b/k",
        ];
        let ctx = [
            "--context",
            "aws:SourceIp=ip:10.1.2.3",
            "--context",
            "aws:SecureTransport=bool:true",
        ];
        let args: Vec<&str> = base
            .iter()
            .chain(&ctx)
            .copied()
            .chain(["--action", "s3:GetObject"])
            .collect();
        let (r, out) = run_args(&args);
        assert_eq!(r.unwrap(), ExitCode::SUCCESS, "{out}");
        let args: Vec<&str> = base
            .iter()
            .chain(&ctx)
            .copied()
            .chain(["--action", "s3:PutObject"])
            .collect();
        let (r, out) = run_args(&args);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        assert!(
            out.contains("because no permissions boundary allows"),
            "{out}"
        );
        let args: Vec<&str> = base
            .iter()
            .copied()
            .chain(["--action", "s3:GetObject"])
            .collect();
        let (r, out) = run_args(&args);
        assert_eq!(r.unwrap(), ExitCode::from(1));
        assert!(out.contains("Missing context key: aws:SourceIp"), "{out}");
    }

    #[test]
    fn simulate_rejects_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let p = file(&dir, "p.json", ALLOW_IAM);
        let (r, _) = run_args(&[
            "simulate",
            "--policy",
            &p,
            "--action",
            "a:b",
            "--context",
            "k=ip:nope",
        ]);
        assert!(r.unwrap_err().to_string().contains("is not a valid ip"));
        let (r, _) = run_args(&[
            "simulate",
            "--policy",
            &p,
            "--action",
            "a:b",
            "--context",
            "k=weird:1",
        ]);
        assert!(r
            .unwrap_err()
            .to_string()
            .contains("unknown context key type weird"));
        let (r, _) = run_args(&[
            "simulate",
            "--policy",
            "/nonexistent/x.json",
            "--action",
            "a:b",
        ]);
        assert!(r.unwrap_err().to_string().contains("cannot read"));
        let bad = file(
            &dir,
            "bad.json",
            r#"{"Statement":{"Effect":"Allow","Action":"x","Resource":"*"}}"#,
        );
        let (r, _) = run_args(&["simulate", "--policy", &bad, "--action", "a:b"]);
        assert!(r
            .unwrap_err()
            .to_string()
            .contains("MalformedPolicyDocument"));
    }
}
