//! Trust anchors over REST-JSON: CreateTrustAnchor, GetTrustAnchor, ListTrustAnchors,
//! UpdateTrustAnchor, DeleteTrustAnchor, EnableTrustAnchor, DisableTrustAnchor.

use super::tags::TagBody;
use super::{answer, domain_error, next_token, timestamp, validation, Answer, Request};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::roles_anywhere::trust_anchors::{self, Anchoring, TrustAnchor};
use crate::iam::roles_anywhere::{Kind, Scope, Switch};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceData {
    x509_certificate_data: Option<String>,
    acm_pca_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Source {
    source_type: Option<String>,
    source_data: Option<SourceData>,
}

/// CreateTrustAnchorRequest and UpdateTrustAnchorRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    name: Option<String>,
    source: Option<Source>,
    enabled: Option<bool>,
    crl_dp_revocation_enabled: Option<bool>,
    #[serde(default)]
    tags: Vec<TagBody>,
    #[serde(default)]
    notification_settings: Vec<Value>,
    alias_name: Option<String>,
}

impl Body {
    fn anchoring(self) -> Result<Anchoring, AwsError> {
        if self.crl_dp_revocation_enabled == Some(true) {
            return Err(validation(
                "Keyward does not fetch CRLs from distribution points: import them (ImportCrl).",
            ));
        }
        if !self.notification_settings.is_empty() || self.alias_name.is_some() {
            return Err(validation(
                "Notification settings and aliases are not supported by Keyward.",
            ));
        }
        let (source_type, certificates) = match self.source {
            None => (None, None),
            Some(source) => {
                let data = source.source_data.unwrap_or_default();
                if data.acm_pca_arn.is_some() {
                    return Err(validation(
                        "A private CA of ACM (acmPcaArn) is not available: use a \
                         CERTIFICATE_BUNDLE.",
                    ));
                }
                (source.source_type, data.x509_certificate_data)
            }
        };
        Ok(Anchoring {
            name: self.name,
            source_type,
            certificates,
            enabled: self.enabled,
            tags: self.tags.into_iter().map(TagBody::tag).collect(),
        })
    }
}

/// `TrustAnchorDetail`.
pub fn detail(anchor: &TrustAnchor, scope: Scope<'_>) -> Value {
    json!({
        "trustAnchorId": anchor.id,
        "trustAnchorArn": scope.arn(Kind::TrustAnchor, &anchor.id),
        "name": anchor.name,
        "source": {
            "sourceType": anchor.source_type,
            "sourceData": { "x509CertificateData": anchor.certificates },
        },
        "enabled": anchor.enabled,
        "crlDpRevocationEnabled": false,
        "createdAt": timestamp(anchor.stamps.created_at),
        "updatedAt": timestamp(anchor.stamps.updated_at),
    })
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
            Op::Create => "CreateTrustAnchor",
            Op::List => "ListTrustAnchors",
            Op::Get(_) => "GetTrustAnchor",
            Op::Update(_) => "UpdateTrustAnchor",
            Op::Delete(_) => "DeleteTrustAnchor",
            Op::Switch(_, Switch::Enable) => "EnableTrustAnchor",
            Op::Switch(_, Switch::Disable) => "DisableTrustAnchor",
        }
    }
}

fn serve(request: &Request<'_>, op: Op) -> Answer {
    let scope = request.scope();
    let ctx = &request.api.ctx;
    let one = |anchor: TrustAnchor| json!({ "trustAnchor": detail(&anchor, scope) });
    match op {
        Op::Create => {
            let new = request.body::<Body>()?.anchoring()?;
            let call = request.authorized("*")?;
            let anchor = trust_anchors::create(ctx, &call, &new).map_err(domain_error)?;
            Ok((StatusCode::CREATED, one(anchor)))
        }
        Op::List => {
            let (after, size) = request.page()?;
            request.authorized("*")?;
            let (anchors, more) =
                trust_anchors::list(ctx, scope.account_id, after.as_deref(), size)
                    .map_err(domain_error)?;
            let ids: Vec<&str> = anchors.iter().map(|a| a.id.as_str()).collect();
            let all: Vec<Value> = anchors.iter().map(|a| detail(a, scope)).collect();
            request.read(json!({ "pageSize": size }));
            Ok((
                StatusCode::OK,
                json!({ "trustAnchors": all, "nextToken": next_token(&ids, more) }),
            ))
        }
        Op::Get(ref text)
        | Op::Update(ref text)
        | Op::Delete(ref text)
        | Op::Switch(ref text, _) => {
            let id = scope
                .identify(Kind::TrustAnchor, text)
                .map_err(domain_error)?;
            let change = match &op {
                Op::Update(_) => Some(request.body::<Body>()?.anchoring()?),
                _ => None,
            };
            let call = request.authorized(&scope.arn(Kind::TrustAnchor, &id))?;
            let anchor = match (op, change) {
                (Op::Update(_), Some(change)) => trust_anchors::update(ctx, &call, &id, &change),
                (Op::Delete(_), _) => trust_anchors::delete(ctx, &call, &id),
                (Op::Switch(_, to), _) => trust_anchors::switch(ctx, &call, &id, to),
                _ => {
                    let anchor = trust_anchors::get(ctx, scope.account_id, &id);
                    if anchor.is_ok() {
                        request.read(json!({ "trustAnchorId": id }));
                    }
                    anchor
                }
            }
            .map_err(domain_error)?;
            Ok((StatusCode::OK, one(anchor)))
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
