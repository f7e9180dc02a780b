//! The policy simulator and context-key actions.

use super::simulate_limits::{self, next_marker};
use super::{req, response};
use crate::authz::load::{self, PolicySource, PrincipalPolicies};
use crate::authz::simulate::{simulate, ActionResult, Simulation};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::{XmlBody, XmlResponse};
use crate::iam::{groups, roles, users, IamError};
use crate::policy::{ContextValue, Policy, PolicyError, PolicyKind, Principal};

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    let known = [
        "SimulateCustomPolicy",
        "SimulatePrincipalPolicy",
        "GetContextKeysForCustomPolicy",
        "GetContextKeysForPrincipalPolicy",
    ];
    if !known.contains(&action) {
        return None;
    }
    // Sizes first: a request over a limit is refused before it is authorized, loaded or parsed.
    if let Err(e) = simulate_limits::check(&env.params) {
        return Some(Err(e));
    }
    Some(match action {
        "SimulateCustomPolicy" => custom(env),
        "SimulatePrincipalPolicy" => principal(env),
        "GetContextKeysForCustomPolicy" => keys_custom(env),
        "GetContextKeysForPrincipalPolicy" => keys_principal(env),
        _ => return None,
    })
}

/// The principal a simulation runs as when no user or role is named: the calling IAM user, or
/// a stand-in user (never the root user, whom the engine allows everything).
fn stand_in(env: &Env<'_>) -> Principal {
    if env.caller.iam_user().is_some() {
        env.caller.principal()
    } else {
        Principal::user(env.account(), "/", "SimulatedUser", "AIDASIMULATEDUSER0000")
    }
}

fn malformed(e: PolicyError) -> AwsError {
    AwsError::malformed_policy_document(e.to_string())
}

/// The policies of `PolicyInputList` (or another list parameter), labelled by position.
fn input_policies(
    env: &Env<'_>,
    list: &str,
    kind: PolicyKind,
) -> Result<Vec<(Policy, PolicySource)>, AwsError> {
    env.params
        .list(list)?
        .into_iter()
        .enumerate()
        .map(|(i, json)| {
            let id = format!("{list}.{}", i + 1);
            Policy::parse(json, kind)
                .map(|p| (p.with_label(&id), PolicySource { id, kind: "none" }))
                .map_err(malformed)
        })
        .collect()
}

fn context_entries(env: &Env<'_>) -> Result<Vec<(String, ContextValue)>, AwsError> {
    env.params
        .members("ContextEntries")?
        .into_iter()
        .map(|m| {
            let key = m.required("ContextKeyName")?.to_string();
            let ty = m.required("ContextKeyType")?;
            let values = m.list("ContextKeyValues")?;
            let value = ContextValue::from_typed(ty, &values).map_err(|e| {
                AwsError::invalid_input(format!("Invalid context entry {key}: {e}"))
            })?;
            Ok((key, value))
        })
        .collect()
}

/// The entity a `PolicySourceArn` names in the caller's account: its policies and principal.
fn source(env: &Env<'_>, arn: &str) -> Result<(PrincipalPolicies, Principal), AwsError> {
    let invalid = || AwsError::invalid_input(format!("Invalid ARN: {arn}"));
    let rest = arn
        .strip_prefix(&format!("arn:aws:iam::{}:", env.account()))
        .ok_or_else(invalid)?;
    let (kind, path_and_name) = rest.split_once('/').ok_or_else(invalid)?;
    let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
    let account = env.account();
    env.ctx()
        .store
        .read(|conn| -> Result<_, IamError> {
            Ok(match kind {
                "user" => {
                    let u = users::find(conn, account, name)?;
                    let principal = Principal::user(account, &u.path, &u.name, &u.id);
                    (load::for_user(conn, &u.id, &u.name)?, principal)
                }
                "group" => {
                    let g = groups::find(conn, account, name)?;
                    (load::for_group(conn, &g.id, &g.name)?, stand_in(env))
                }
                "role" => {
                    let r = roles::find(conn, account, name)?;
                    let principal =
                        Principal::assumed_role(account, &r.path, &r.name, &r.id, "simulation");
                    (load::for_role(conn, &r.id, &r.name)?, principal)
                }
                _ => return Err(IamError::InvalidInput(format!("Invalid ARN: {arn}"))),
            })
        })
        .map_err(AwsError::from)
}

fn run(
    env: &Env<'_>,
    mut policies: PrincipalPolicies,
    principal: Principal,
    action: &str,
) -> Result<XmlResponse, AwsError> {
    for (p, s) in input_policies(env, "PolicyInputList", PolicyKind::Identity)? {
        policies.identity.push(p);
        policies.sources.push(s);
    }
    if let Some(boundary) = input_policies(
        env,
        "PermissionsBoundaryPolicyInputList",
        PolicyKind::Boundary,
    )?
    .into_iter()
    .next()
    {
        policies.boundary = Some(boundary);
    }
    let principal = match env.params.get("CallerArn") {
        Some(arn) => Principal::from_arn(arn)
            .ok_or_else(|| AwsError::invalid_input(format!("Invalid CallerArn: {arn}")))?,
        None => principal,
    };
    let resource_policy = match env.params.get("ResourcePolicy") {
        Some(json) => Some(Policy::parse(json, PolicyKind::Resource).map_err(malformed)?),
        None => None,
    };
    let actions: Vec<String> = env
        .params
        .list("ActionNames")?
        .into_iter()
        .map(str::to_string)
        .collect();
    if actions.is_empty() {
        return Err(env
            .params
            .required("ActionNames.member.1")
            .err()
            .unwrap_or_else(|| AwsError::validation_error("ActionNames is required")));
    }
    let given: Vec<String> = env
        .params
        .list("ResourceArns")?
        .into_iter()
        .map(str::to_string)
        .collect();
    let resources = if given.is_empty() {
        vec!["*".to_string()]
    } else {
        given.clone()
    };
    let context = context_entries(env)?;
    let sim = Simulation {
        policies: &policies,
        principal,
        resource_policy: resource_policy.as_ref(),
        resource_owner: env
            .params
            .get("ResourceOwner")
            .and_then(|o| o.split(':').nth(4).or(Some(o))),
        context: &context,
    };
    // The product is within simulate_limits::MAX_PAIRS, checked before anything else.
    let total = actions.len();
    let range = simulate_limits::page(&env.params, total)?;
    let results = simulate(&sim, &actions, &resources, range);
    let marker = next_marker(range, total);
    let mut r = response(action);
    let mut b = r.body();
    b.list("EvaluationResults", &results, |b, result| {
        write_result(b, result, &given)
    });
    b.bool("IsTruncated", marker.is_some())
        .opt_text("Marker", marker.as_deref());
    Ok(r)
}

fn write_statements(b: &mut XmlBody<'_>, matched: &[PolicySource], missing: &[String]) {
    b.list("MatchedStatements", matched, |b, s| {
        b.text("SourcePolicyId", &s.id)
            .text("SourcePolicyType", s.kind);
    });
    b.text_list("MissingContextValues", missing);
}

fn write_boundary(b: &mut XmlBody<'_>, allowed: Option<bool>) {
    if let Some(allowed) = allowed {
        b.element("PermissionsBoundaryDecisionDetail", |b| {
            b.bool("AllowedByPermissionsBoundary", allowed);
        });
    }
}

/// One action's result in IAM's current shape: the aggregate across the resources on top, and,
/// when `ResourceArns` were given, each resource's own decision in `ResourceSpecificResults`.
/// The top names a resource only when the simulation had exactly one (`*` when none was given).
fn write_result(b: &mut XmlBody<'_>, result: &ActionResult, given: &[String]) {
    b.text("EvalActionName", &result.action);
    if let [only] = result.resources.as_slice() {
        b.text("EvalResourceName", &only.resource);
    }
    b.text("EvalDecision", result.decision.iam_name());
    write_statements(b, &result.matched, &result.missing);
    write_boundary(b, result.allowed_by_boundary);
    if !given.is_empty() {
        b.list("ResourceSpecificResults", &result.resources, |b, r| {
            b.text("EvalResourceName", &r.resource)
                .text("EvalResourceDecision", r.decision.iam_name());
            write_statements(b, &r.matched, &r.missing);
            write_boundary(b, r.allowed_by_boundary);
        });
    }
}

fn custom(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:SimulateCustomPolicy", "*")?;
    if env.params.list("PolicyInputList")?.is_empty() {
        env.params.required("PolicyInputList.member.1")?;
    }
    run(
        env,
        PrincipalPolicies::default(),
        stand_in(env),
        "SimulateCustomPolicy",
    )
}

fn principal(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicySourceArn")?;
    env.authorize("iam:SimulatePrincipalPolicy", &arn)?;
    let (policies, principal) = source(env, &arn)?;
    run(env, policies, principal, "SimulatePrincipalPolicy")
}

fn write_keys(action: &str, policies: &[Policy]) -> XmlResponse {
    let mut keys: Vec<String> = Vec::new();
    for p in policies {
        for k in p.condition_keys() {
            if !keys.iter().any(|e| e.eq_ignore_ascii_case(&k)) {
                keys.push(k);
            }
        }
    }
    let mut r = response(action);
    r.body().text_list("ContextKeyNames", &keys);
    r
}

fn keys_custom(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:GetContextKeysForCustomPolicy", "*")?;
    let policies: Vec<Policy> = input_policies(env, "PolicyInputList", PolicyKind::Identity)?
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    Ok(write_keys("GetContextKeysForCustomPolicy", &policies))
}

fn keys_principal(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "PolicySourceArn")?;
    env.authorize("iam:GetContextKeysForPrincipalPolicy", &arn)?;
    let (loaded, _) = source(env, &arn)?;
    let mut policies = loaded.identity;
    policies.extend(
        input_policies(env, "PolicyInputList", PolicyKind::Identity)?
            .into_iter()
            .map(|(p, _)| p),
    );
    Ok(write_keys("GetContextKeysForPrincipalPolicy", &policies))
}
