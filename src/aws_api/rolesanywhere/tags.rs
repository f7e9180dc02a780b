//! Tags over REST-JSON: TagResource, UntagResource, ListTagsForResource, authorized on the
//! tagged resource's ARN.

use super::{answer, domain_error, validation, Answer, Request};
use crate::aws_api::endpoint::AwsApi;
use crate::iam::roles_anywhere::tags::{self, Tag};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

/// A `Tag` of the API.
#[derive(Debug, Deserialize)]
pub struct TagBody {
    key: String,
    value: String,
}

impl TagBody {
    pub fn tag(self) -> Tag {
        Tag {
            key: self.key,
            value: self.value,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagRequest {
    resource_arn: Option<String>,
    #[serde(default)]
    tags: Vec<TagBody>,
    #[serde(default)]
    tag_keys: Vec<String>,
}

fn tags_json(all: &[Tag]) -> Value {
    let all: Vec<Value> = all
        .iter()
        .map(|t| json!({ "key": t.key, "value": t.value }))
        .collect();
    Value::Array(all)
}

fn resource(arn: Option<String>) -> Result<String, crate::aws_api::error::AwsError> {
    arn.filter(|a| !a.is_empty())
        .ok_or_else(|| validation("The resourceArn is required."))
}

fn tag_resource(request: &Request<'_>) -> Answer {
    let body: TagRequest = request.body()?;
    let arn = resource(body.resource_arn)?;
    let call = request.authorized(&arn)?;
    let given: Vec<Tag> = body.tags.into_iter().map(TagBody::tag).collect();
    tags::tag(&request.api.ctx, &call, request.scope(), &arn, &given).map_err(domain_error)?;
    Ok((StatusCode::CREATED, json!({})))
}

fn untag_resource(request: &Request<'_>) -> Answer {
    let body: TagRequest = request.body()?;
    let arn = resource(body.resource_arn)?;
    let call = request.authorized(&arn)?;
    tags::untag(
        &request.api.ctx,
        &call,
        request.scope(),
        &arn,
        &body.tag_keys,
    )
    .map_err(domain_error)?;
    Ok((StatusCode::OK, json!({})))
}

fn list_tags(request: &Request<'_>) -> Answer {
    let arn = resource(request.query("resourceArn"))?;
    request.authorized(&arn)?;
    let all = tags::list(&request.api.ctx, request.scope(), &arn).map_err(domain_error)?;
    request.read(json!({ "resourceArn": arn }));
    Ok((StatusCode::OK, json!({ "tags": tags_json(&all) })))
}

pub async fn tag(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    answer(req, body, api, "TagResource", tag_resource).await
}

pub async fn untag(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    answer(req, body, api, "UntagResource", untag_resource).await
}

pub async fn list(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    answer(req, body, api, "ListTagsForResource", list_tags).await
}
