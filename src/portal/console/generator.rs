//! The policy generator: choose a service, then its actions (grouped by access level, with a
//! filter), then resources (the service's ARN patterns, with their `${...}` fields to fill in),
//! then one condition (a key of the service or a global key, an operator and a value). Each step
//! is a GET of this page, so it works without JavaScript; the result is a policy document that
//! opens in the create-policy form of the policy editor.

use super::view::{Field, Form, Section};
use super::{field, picked, seg, show, Built, Console, HOME};
use crate::aws_api::endpoint::AwsApi;
use crate::policy::catalogue::{catalogue, AccessLevel, Service};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const PATH: &str = "/console/policies/generate";

/// The condition operators offered, as IAM names them.
const OPERATORS: [&str; 14] = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnLike",
    "Bool",
    "NumericEquals",
    "NumericLessThan",
    "NumericGreaterThan",
    "DateLessThan",
    "DateGreaterThan",
    "IpAddress",
    "NotIpAddress",
];

pub async fn page(
    req: HttpRequest,
    c: Console,
    api: web::Data<AwsApi>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let query = query.into_inner();
    show(&req, &api, c, move |_, _| build(&query)).await
}

fn build(query: &HashMap<String, String>) -> Built {
    let prefix = field(query, "service");
    let services = catalogue()
        .services()
        .iter()
        .map(|s| (s.prefix.clone(), format!("{} ({})", s.name, s.prefix)))
        .collect();
    let choose = Section::new("service", "1. Service").form(
        Form::get("service-form", PATH, "Choose actions").field(
            Field::select("Service", "service", services)
                .value(prefix)
                .required(),
        ),
    );
    let mut built = Built::new(
        "Policy generator",
        &[HOME, ("Policies", "/console/policies")],
    )
    .section(choose);
    if prefix.is_empty() {
        return built;
    }
    let Some(service) = catalogue().service(prefix) else {
        built.error = Some(format!("{prefix} is not the prefix of any AWS service."));
        return built;
    };
    built = built.section(steps(service, query));
    let actions = picked(query, "action");
    if !actions.is_empty() {
        let document = generate(service, &actions, query);
        let href = format!(
            "/console/policies?document={}#create-policy",
            seg(&document)
        );
        built = built.section(
            Section::new("result", "Generated policy")
                .code(document)
                .link("Open in the policy editor", href),
        );
    }
    built
}

/// Steps 2 to 4 in one form: actions, resources, a condition.
fn steps(service: &Service, query: &HashMap<String, String>) -> Section {
    let ticked = picked(query, "action").join("\n");
    let mut form = Form::get("generate-form", PATH, "Generate policy")
        .field(Field::hidden("service", &service.prefix));
    for level in AccessLevel::ALL {
        let options: Vec<(String, String)> = service
            .actions
            .iter()
            .filter(|a| a.level == level)
            .map(|a| (a.name.clone(), a.name.clone()))
            .collect();
        if options.is_empty() {
            continue;
        }
        let label = format!("2. Actions: {} ({})", level.label(), options.len());
        form = form.field(Field::checklist(&label, "action", options).value(&ticked));
    }
    for resource in &service.resources {
        let name = format!("arn:{}", resource.name);
        let value = query
            .get(&name)
            .cloned()
            .unwrap_or_else(|| resource.arn.replace("${Partition}", "aws"));
        form = form.field(
            Field::text(&format!("3. Resource {}", resource.name), &name)
                .value(&value)
                .hint("Replace each ${...} field; a pattern left with one is not used."),
        );
    }
    let keys: Vec<(String, String)> = std::iter::once((String::new(), "No condition".to_string()))
        .chain(
            service
                .keys
                .iter()
                .chain(catalogue().global_keys())
                .map(|k| (k.name.clone(), format!("{} ({})", k.name, k.kind))),
        )
        .collect();
    let operators = OPERATORS
        .iter()
        .map(|o| (o.to_string(), o.to_string()))
        .collect();
    form = form
        .field(Field::select("4. Condition key", "key", keys).value(field(query, "key")))
        .field(
            Field::select("Condition operator", "operator", operators)
                .value(field(query, "operator")),
        )
        .field(
            Field::text("Condition value", "value")
                .value(field(query, "value"))
                .hint("Replace ${TagKey} and like parts of the key's name in the key itself."),
        );
    Section::new("steps", &format!("{} actions", service.name)).form(form)
}

/// The policy document of the chosen actions, resources and condition, indented.
fn generate(service: &Service, actions: &[&str], query: &HashMap<String, String>) -> String {
    let actions: Vec<String> = actions
        .iter()
        .filter_map(|a| service.action(a))
        .map(|a| format!("{}:{}", service.prefix, a.name))
        .collect();
    let mut resources: Vec<String> = service
        .resources
        .iter()
        .filter_map(|r| query.get(&format!("arn:{}", r.name)))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && !v.contains("${"))
        .collect();
    if resources.is_empty() {
        resources.push("*".to_string());
    }
    let one_or_many = |mut items: Vec<String>| match items.len() {
        1 => Value::String(items.remove(0)),
        _ => json!(items),
    };
    let mut statement = Map::new();
    statement.insert("Effect".into(), json!("Allow"));
    statement.insert("Action".into(), one_or_many(actions));
    statement.insert("Resource".into(), one_or_many(resources));
    let (key, operator, value) = (
        field(query, "key"),
        field(query, "operator"),
        field(query, "value"),
    );
    if !key.is_empty() && !value.is_empty() && OPERATORS.contains(&operator) {
        statement.insert("Condition".into(), json!({ operator: { key: value } }));
    }
    let document = json!({"Version": "2012-10-17", "Statement": [Value::Object(statement)]});
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_document_holds_the_chosen_actions_filled_resources_and_condition() {
        let iam = catalogue().service("iam").unwrap();
        let q = query(&[
            ("arn:user", "arn:aws:iam::111122223333:user/alice"),
            (
                "arn:role",
                "arn:aws:iam::${Account}:role/${RoleNameWithPath}",
            ),
            ("key", "aws:MultiFactorAuthPresent"),
            ("operator", "Bool"),
            ("value", "true"),
        ]);
        let doc: Value =
            serde_json::from_str(&generate(iam, &["GetUser", "ListUsers", "Nope"], &q)).unwrap();
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["iam:GetUser", "iam:ListUsers"],
                "Resource": "arn:aws:iam::111122223333:user/alice",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            }]})
        );
    }

    #[test]
    fn no_filled_resource_means_every_resource() {
        let s3 = catalogue().service("s3").unwrap();
        let doc: Value =
            serde_json::from_str(&generate(s3, &["GetObject"], &HashMap::new())).unwrap();
        assert_eq!(doc["Statement"][0]["Resource"], json!("*"));
        assert!(doc["Statement"][0].get("Condition").is_none());
    }
}
