//! Certificate revocation lists over REST-JSON: ImportCrl, GetCrl, ListCrls, UpdateCrl,
//! DeleteCrl, EnableCrl, DisableCrl. `crlData` is a blob: base64 in the JSON.

use super::tags::TagBody;
use super::{answer, domain_error, next_token, timestamp, validation, Answer, Request};
use crate::aws_api::endpoint::AwsApi;
use crate::aws_api::error::AwsError;
use crate::iam::roles_anywhere::crls::{self, Crl, Import};
use crate::iam::roles_anywhere::{Kind, Scope, Switch};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use data_encoding::BASE64;
use serde::Deserialize;
use serde_json::{json, Value};

/// ImportCrlRequest and UpdateCrlRequest.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    name: Option<String>,
    crl_data: Option<String>,
    enabled: Option<bool>,
    #[serde(default)]
    tags: Vec<TagBody>,
    trust_anchor_arn: Option<String>,
    alias_name: Option<String>,
}

impl Body {
    fn import(self) -> Result<Import, AwsError> {
        if self.alias_name.is_some() {
            return Err(validation("Aliases are not supported by Keyward."));
        }
        let data = self
            .crl_data
            .map(|text| {
                BASE64
                    .decode(text.as_bytes())
                    .map_err(|_| validation("The crlData is not base64."))
            })
            .transpose()?;
        Ok(Import {
            name: self.name,
            data,
            trust_anchor: self.trust_anchor_arn,
            enabled: self.enabled,
            tags: self.tags.into_iter().map(TagBody::tag).collect(),
        })
    }
}

/// `CrlDetail`.
pub fn detail(crl: &Crl, scope: Scope<'_>) -> Value {
    json!({
        "crlId": crl.id,
        "crlArn": scope.arn(Kind::Crl, &crl.id),
        "name": crl.name,
        "enabled": crl.enabled,
        "crlData": BASE64.encode(&crl.der),
        "trustAnchorArn": scope.arn(Kind::TrustAnchor, &crl.trust_anchor_id),
        "createdAt": timestamp(crl.stamps.created_at),
        "updatedAt": timestamp(crl.stamps.updated_at),
    })
}

enum Op {
    Import,
    List,
    Get(String),
    Update(String),
    Delete(String),
    Switch(String, Switch),
}

impl Op {
    fn action(&self) -> &'static str {
        match self {
            Op::Import => "ImportCrl",
            Op::List => "ListCrls",
            Op::Get(_) => "GetCrl",
            Op::Update(_) => "UpdateCrl",
            Op::Delete(_) => "DeleteCrl",
            Op::Switch(_, Switch::Enable) => "EnableCrl",
            Op::Switch(_, Switch::Disable) => "DisableCrl",
        }
    }
}

fn serve(request: &Request<'_>, op: Op) -> Answer {
    let scope = request.scope();
    let ctx = &request.api.ctx;
    let one = |crl: Crl| json!({ "crl": detail(&crl, scope) });
    match op {
        Op::Import => {
            let new = request.body::<Body>()?.import()?;
            let call = request.authorized("*")?;
            let crl = crls::import(ctx, &call, scope, &new).map_err(domain_error)?;
            Ok((StatusCode::CREATED, one(crl)))
        }
        Op::List => {
            let (after, size) = request.page()?;
            request.authorized("*")?;
            let (all, more) =
                crls::list(ctx, scope.account_id, after.as_deref(), size).map_err(domain_error)?;
            let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
            let details: Vec<Value> = all.iter().map(|c| detail(c, scope)).collect();
            request.read(json!({ "pageSize": size }));
            Ok((
                StatusCode::OK,
                json!({ "crls": details, "nextToken": next_token(&ids, more) }),
            ))
        }
        Op::Get(ref text)
        | Op::Update(ref text)
        | Op::Delete(ref text)
        | Op::Switch(ref text, _) => {
            let id = scope.identify(Kind::Crl, text).map_err(domain_error)?;
            let change = match &op {
                Op::Update(_) => Some(request.body::<Body>()?.import()?),
                _ => None,
            };
            let call = request.authorized(&scope.arn(Kind::Crl, &id))?;
            let crl = match (op, change) {
                (Op::Update(_), Some(change)) => crls::update(ctx, &call, scope, &id, &change),
                (Op::Delete(_), _) => crls::delete(ctx, &call, &id),
                (Op::Switch(_, to), _) => crls::switch(ctx, &call, &id, to),
                _ => {
                    let crl = crls::get(ctx, scope.account_id, &id);
                    if crl.is_ok() {
                        request.read(json!({ "crlId": id }));
                    }
                    crl
                }
            }
            .map_err(domain_error)?;
            Ok((StatusCode::OK, one(crl)))
        }
    }
}

async fn run(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>, op: Op) -> HttpResponse {
    answer(req, body, api, op.action(), move |request| {
        serve(request, op)
    })
    .await
}

pub async fn import(req: HttpRequest, body: web::Bytes, api: web::Data<AwsApi>) -> HttpResponse {
    run(req, body, api, Op::Import).await
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
