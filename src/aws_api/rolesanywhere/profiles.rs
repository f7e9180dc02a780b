//! Profiles over REST-JSON: CreateProfile, GetProfile, ListProfiles, UpdateProfile,
//! DeleteProfile, EnableProfile, DisableProfile.

use super::tags::TagBody;
use super::{answer, domain_error, next_token, timestamp, validation, Answer, Request};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::roles_anywhere::profiles::{self, Profile, Shape};
use crate::iam::roles_anywhere::{Kind, Scope, Switch};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

/// CreateProfileRequest and UpdateProfileRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    name: Option<String>,
    require_instance_properties: Option<bool>,
    session_policy: Option<String>,
    role_arns: Option<Vec<String>>,
    managed_policy_arns: Option<Vec<String>>,
    duration_seconds: Option<i32>,
    enabled: Option<bool>,
    #[serde(default)]
    tags: Vec<TagBody>,
    accept_role_session_name: Option<bool>,
    alias_name: Option<String>,
    tip_configuration: Option<Value>,
}

impl Body {
    fn shape(self) -> Result<Shape, AwsError> {
        if self.alias_name.is_some() || self.tip_configuration.is_some() {
            return Err(validation(
                "Aliases and trusted identity propagation are not supported by Keyward.",
            ));
        }
        Ok(Shape {
            name: self.name,
            role_arns: self.role_arns,
            session_policy: self.session_policy,
            managed_policy_arns: self.managed_policy_arns,
            duration_seconds: self.duration_seconds,
            require_instance_properties: self.require_instance_properties,
            accept_role_session_name: self.accept_role_session_name,
            enabled: self.enabled,
            tags: self.tags.into_iter().map(TagBody::tag).collect(),
        })
    }
}

/// `ProfileDetail`.
pub fn detail(profile: &Profile, scope: Scope<'_>) -> Value {
    let mut detail = json!({
        "profileId": profile.id,
        "profileArn": scope.arn(Kind::Profile, &profile.id),
        "name": profile.name,
        "requireInstanceProperties": profile.require_instance_properties,
        "enabled": profile.enabled,
        "createdBy": profile.created_by,
        "roleArns": profile.role_arns,
        "managedPolicyArns": profile.managed_policy_arns,
        "createdAt": timestamp(profile.stamps.created_at),
        "updatedAt": timestamp(profile.stamps.updated_at),
        "durationSeconds": profile.duration_seconds,
        "acceptRoleSessionName": profile.accept_role_session_name,
        "attributeMappings": [],
    });
    if let (Some(policy), Some(fields)) = (&profile.session_policy, detail.as_object_mut()) {
        fields.insert("sessionPolicy".into(), Value::String(policy.clone()));
    }
    detail
}

enum Op {
    Create,
    List,
    Get(String),
    Update(String),
    Delete(String),
    Switch(String, Switch),
}

impl Op {
    fn action(&self) -> &'static str {
        match self {
            Op::Create => "CreateProfile",
            Op::List => "ListProfiles",
            Op::Get(_) => "GetProfile",
            Op::Update(_) => "UpdateProfile",
            Op::Delete(_) => "DeleteProfile",
            Op::Switch(_, Switch::Enable) => "EnableProfile",
            Op::Switch(_, Switch::Disable) => "DisableProfile",
        }
    }
}

fn serve(request: &Request<'_>, op: Op) -> Answer {
    let scope = request.scope();
    let ctx = &request.api.ctx;
    let one = |profile: Profile| json!({ "profile": detail(&profile, scope) });
    match op {
        Op::Create => {
            let shape = request.body::<Body>()?.shape()?;
            let call = request.authorized("*")?;
            let profile = profiles::create(ctx, &call, &shape).map_err(domain_error)?;
            Ok((StatusCode::CREATED, one(profile)))
        }
        Op::List => {
            let (after, size) = request.page()?;
            request.authorized("*")?;
            let (all, more) = profiles::list(ctx, scope.account_id, after.as_deref(), size)
                .map_err(domain_error)?;
            let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
            let details: Vec<Value> = all.iter().map(|p| detail(p, scope)).collect();
            request.read(json!({ "pageSize": size }));
            Ok((
                StatusCode::OK,
                json!({ "profiles": details, "nextToken": next_token(&ids, more) }),
            ))
        }
        Op::Get(ref text)
        | Op::Update(ref text)
        | Op::Delete(ref text)
        | Op::Switch(ref text, _) => {
            let id = scope.identify(Kind::Profile, text).map_err(domain_error)?;
            let change = match &op {
                Op::Update(_) => Some(request.body::<Body>()?.shape()?),
                _ => None,
            };
            if change
                .as_ref()
                .is_some_and(|c| !c.tags.is_empty() || c.enabled.is_some())
            {
                return Err(validation(
                    "UpdateProfile takes no tags nor enabled: use TagResource, EnableProfile.",
                ));
            }
            let call = request.authorized(&scope.arn(Kind::Profile, &id))?;
            let profile = match (op, change) {
                (Op::Update(_), Some(change)) => profiles::update(ctx, &call, &id, &change),
                (Op::Delete(_), _) => profiles::delete(ctx, &call, &id),
                (Op::Switch(_, to), _) => profiles::switch(ctx, &call, &id, to),
                _ => {
                    let profile = profiles::get(ctx, scope.account_id, &id);
                    if profile.is_ok() {
                        request.read(json!({ "profileId": id }));
                    }
                    profile
                }
            }
            .map_err(domain_error)?;
            Ok((StatusCode::OK, one(profile)))
        }
    }
}

async fn run(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>, op: Op) -> HttpResponse {
    answer(req, body, api, op.action(), move |request| {
        serve(request, op)
    })
    .await
}

pub async fn create(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, Op::Create).await
}

pub async fn list(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, Op::List).await
}

pub async fn get(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    run(req, body, api, Op::Get(id.into_inner())).await
}

pub async fn update(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    run(req, body, api, Op::Update(id.into_inner())).await
}

pub async fn delete(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    run(req, body, api, Op::Delete(id.into_inner())).await
}

pub async fn enable(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    run(req, body, api, Op::Switch(id.into_inner(), Switch::Enable)).await
}

pub async fn disable(
    req: HttpRequest,
    body: web::Bytes,
    api: web::Data<AwsApi>,
    id: web::Path<String>,
) -> HttpResponse {
    run(req, body, api, Op::Switch(id.into_inner(), Switch::Disable)).await
}
