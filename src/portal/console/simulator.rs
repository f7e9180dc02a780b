//! The policy simulator: a user, group or role (SimulatePrincipalPolicy), or pasted policies
//! (SimulateCustomPolicy), against actions, resources and context keys; allowed or denied
//! per action (IAM's aggregate across the resources) and per resource under it, with the
//! statements that decided each.

use super::view::{Cell, Field, Form, Section, Table};
use super::{field, iam, show, Built, Console, Posted, HOME};
use crate::aws_api::console::Reply;
use crate::aws_api::endpoint::AwsApi;
use crate::policy::catalogue::catalogue;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::HashMap;

pub async fn page(req: HttpRequest, c: Console, api: web::Data<AwsApi>) -> HttpResponse {
    show(&req, &api, c, |api, c| build(api, c, &HashMap::new(), None)).await
}

pub async fn run(
    req: HttpRequest,
    Posted(c, form): Posted,
    api: web::Data<AwsApi>,
) -> HttpResponse {
    show(&req, &api, c, move |api, c| {
        let results = simulate(api, c, &form);
        build(api, c, &form, Some(results))
    })
    .await
}

/// The principals the caller may list, as simulator choices (value: ARN).
fn principals(api: &AwsApi, c: &Console) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "Pasted policies (below)".to_string())];
    for (action, member, tag, kind) in [
        ("ListUsers", "member", "UserName", "User"),
        ("ListGroups", "member", "GroupName", "Group"),
        ("ListRoles", "member", "RoleName", "Role"),
    ] {
        if let Ok(reply) = iam(api, c, action, &[("MaxItems", "1000")]) {
            for item in reply.items(member) {
                if let (Some(name), Some(arn)) = (item.value(tag), item.value("Arn")) {
                    out.push((arn, format!("{kind}: {name}")));
                }
            }
        }
    }
    out
}

/// Splits a list typed with commas, spaces or new lines.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect()
}

fn simulate(api: &AwsApi, c: &Console, form: &HashMap<String, String>) -> Result<Table, String> {
    let source = field(form, "source");
    let actions = words(field(form, "actions"));
    let resources = words(field(form, "resources"));
    // The largest page IAM gives: up to 1000 results on the page.
    let mut params: Vec<(String, String)> = vec![("MaxItems".into(), "1000".into())];
    for (i, a) in actions.iter().enumerate() {
        params.push((format!("ActionNames.member.{}", i + 1), a.to_string()));
    }
    for (i, r) in resources.iter().enumerate() {
        params.push((format!("ResourceArns.member.{}", i + 1), r.to_string()));
    }
    let context = field(form, "context");
    for (i, line) in context.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("Context lines are key=value; \"{line}\" is not."));
        };
        let n = i + 1;
        params.push((
            format!("ContextEntries.member.{n}.ContextKeyName"),
            key.trim().to_string(),
        ));
        params.push((
            format!("ContextEntries.member.{n}.ContextKeyValues.member.1"),
            value.trim().to_string(),
        ));
        params.push((
            format!("ContextEntries.member.{n}.ContextKeyType"),
            "string".to_string(),
        ));
    }
    let action = if source.is_empty() {
        let policy = form.get("policy").map_or("", String::as_str);
        params.push(("PolicyInputList.member.1".to_string(), policy.to_string()));
        "SimulateCustomPolicy"
    } else {
        params.push(("PolicySourceArn".to_string(), source.to_string()));
        "SimulatePrincipalPolicy"
    };
    let refs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let reply = iam(api, c, action, &refs).map_err(|e| super::explain(&e))?;
    let mut table = Table::new(
        "simulation",
        &["Action", "Resource", "Decision", "Decided by"],
        "No results.",
    );
    for result in reply
        .items("EvaluationResults")
        .into_iter()
        .flat_map(|r| r.items("member"))
    {
        let action = result.value("EvalActionName").unwrap_or_default();
        let per_resource: Vec<_> = result
            .items("ResourceSpecificResults")
            .into_iter()
            .flat_map(|r| r.items("member"))
            .collect();
        // One row per action with IAM's aggregate decision, then, when several resources were
        // simulated, one row per resource with its own.
        let resource = match per_resource.len() {
            0 | 1 => result
                .value("EvalResourceName")
                .unwrap_or_else(|| "*".to_string()),
            n => format!("All {n} resources"),
        };
        table.row(
            vec![
                Cell::text(action),
                Cell::text(resource),
                Cell::text(decision_label(result.value("EvalDecision"))),
                Cell::text(decided_by(&result)),
            ],
            Vec::new(),
        );
        if per_resource.len() > 1 {
            for r in &per_resource {
                table.row(
                    vec![
                        Cell::text(""),
                        Cell::text(format!(
                            "↳ {}",
                            r.value("EvalResourceName").unwrap_or_default()
                        )),
                        Cell::text(decision_label(r.value("EvalResourceDecision"))),
                        Cell::text(decided_by(r)),
                    ],
                    Vec::new(),
                );
            }
        }
    }
    Ok(table)
}

fn decision_label(decision: Option<String>) -> &'static str {
    match decision.as_deref() {
        Some("allowed") => "Allowed",
        Some("explicitDeny") => "Denied explicitly",
        _ => "Denied implicitly (no statement allows it)",
    }
}

/// The short names of the policies a result lists in its own `MatchedStatements` (the first
/// such list: those of `ResourceSpecificResults` follow it), each once.
fn decided_by(result: &Reply) -> String {
    let mut matched: Vec<String> = Vec::new();
    for statement in result
        .items("MatchedStatements")
        .into_iter()
        .take(1)
        .flat_map(|m| m.items("member"))
    {
        let id = statement.value("SourcePolicyId").unwrap_or_default();
        let shown = id.rsplit('/').next().unwrap_or(&id).to_string();
        if !matched.contains(&shown) {
            matched.push(shown);
        }
    }
    matched.join(", ")
}

/// What the policy engine finds in a pasted policy, and typed actions that the AWS service
/// catalogue does not know (Keyward's own `keyward:` actions are not judged).
fn warnings(form: &HashMap<String, String>) -> Vec<String> {
    let mut lines = Vec::new();
    let policy = form.get("policy").map_or("", String::as_str);
    if field(form, "source").is_empty() && !policy.trim().is_empty() {
        lines.extend(super::policies::findings(policy).0);
    }
    for action in words(field(form, "actions")) {
        let own = action
            .split_once(':')
            .is_some_and(|(prefix, _)| prefix.eq_ignore_ascii_case("keyward"));
        if !own && catalogue().matching(action).is_empty() {
            lines.push(format!(
                "Warning: Action {action} is not an action of any AWS service."
            ));
        }
    }
    lines
}

fn build(
    api: &AwsApi,
    c: &Console,
    form: &HashMap<String, String>,
    results: Option<Result<Table, String>>,
) -> Built {
    let value = |name: &str| form.get(name).cloned().unwrap_or_default();
    let resources = if form.contains_key("resources") {
        value("resources")
    } else {
        "*".to_string()
    };
    let inputs = Section::new("inputs", "Simulate").form(
        Form::post("simulate", "/console/simulator", "Run simulation")
            .field(
                Field::select("Policies of", "source", principals(api, c)).value(&value("source")),
            )
            .field(
                Field::textarea("Pasted policy (when no principal is chosen)", "policy")
                    .value(&value("policy")),
            )
            .field(
                Field::text("Actions", "actions")
                    .value(&value("actions"))
                    .required()
                    .hint("Such as iam:CreateUser s3:GetObject, separated by spaces or commas."),
            )
            .field(Field::text("Resources", "resources").value(&resources))
            .field(
                Field::textarea("Context keys", "context")
                    .value(&value("context"))
                    .hint("One key=value per line, such as aws:SourceIp=192.0.2.10"),
            ),
    );
    let mut built = Built::new("Policy simulator", &[HOME]).section(inputs);
    if results.is_some() {
        let lines = warnings(form);
        if !lines.is_empty() {
            let section = lines
                .into_iter()
                .fold(Section::new("findings", "Policy findings"), Section::line);
            built = built.section(section);
        }
    }
    match results {
        Some(Ok(table)) => built = built.section(Section::new("results", "Results").table(table)),
        Some(Err(message)) => built.error = Some(message),
        None => {}
    }
    built
}
