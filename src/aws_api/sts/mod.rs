//! STS actions (`Version=2011-06-15`): decode, call the STS service, write the XML of
//! botocore's `sts` model, and audit each call with the credentials it issued (key id only).

use super::env::Env;
use super::error::AwsError;
use super::unsigned::UnsignedEnv;
use super::xml::{XmlBody, XmlResponse, STS_NAMESPACE};
use crate::audit::{AuditEvent, EventSource};
use crate::secrets::ExposeSecret;
use crate::sts::assume_role::{self, AssumeRoleRequest};
use crate::sts::federation_token::{self, FederationTokenRequest};
use crate::sts::ldap_identity::{self, LdapIdentityRequest};
use crate::sts::session::SessionRequest;
use crate::sts::session_token::{self, SessionTokenRequest};
use crate::sts::web_identity::{self, WebIdentityRequest};
use crate::sts::{StsError, TemporaryCredentials};
use serde_json::{json, Value};

pub fn dispatch(env: &Env<'_>, action: &str) -> Result<XmlResponse, AwsError> {
    if let Some(version) = env.params.version() {
        if version != "2011-06-15" {
            return Err(AwsError::invalid_action(action, version));
        }
    }
    match action {
        "AssumeRole" => assume(env),
        "GetCallerIdentity" => caller_identity(env),
        "GetSessionToken" => session_token(env),
        "GetFederationToken" => federation_token(env),
        "GetAccessKeyInfo" => access_key_info(env),
        "DecodeAuthorizationMessage" => decode_message(env),
        "" => Err(AwsError::missing_action()),
        _ => Err(AwsError::invalid_action(action, "2011-06-15")),
    }
}

impl From<StsError> for AwsError {
    fn from(e: StsError) -> Self {
        match e {
            StsError::AccessDenied(m) => AwsError::access_denied(m),
            StsError::Validation(m) => AwsError::validation_error(m),
            StsError::InvalidParameterValue(m) => AwsError::invalid_parameter_value(m),
            StsError::MalformedPolicyDocument(m) => AwsError::malformed_policy_document(m),
            StsError::PackedPolicyTooLarge(m) => AwsError::packed_policy_too_large(m),
            StsError::InvalidIdentityToken(m) => AwsError::invalid_identity_token(m),
            StsError::ExpiredToken(m) => AwsError::expired_token_exception(m),
            StsError::IdpCommunication(m) => AwsError::idp_communication_error(m),
            StsError::Iam(e) => e.into(),
            StsError::Token(e) => {
                tracing::error!(error = %e, "cannot seal a session token");
                AwsError::service_failure()
            }
        }
    }
}

fn response(action: &str) -> XmlResponse {
    XmlResponse::new(action, STS_NAMESPACE)
}

fn opt(env: &Env<'_>, name: &str) -> Option<String> {
    env.params.get(name).map(str::to_string)
}

fn write_credentials(b: &mut XmlBody<'_>, c: &TemporaryCredentials) {
    b.element("Credentials", |b| {
        b.text("AccessKeyId", &c.access_key_id)
            .text("SecretAccessKey", c.secret_access_key.expose_secret())
            .text("SessionToken", &c.session_token)
            .time("Expiration", c.expiration);
    });
}

/// A request's `PolicyArns` members.
fn policy_arns(params: &super::query::QueryParams) -> Result<Vec<String>, AwsError> {
    params
        .members("PolicyArns")?
        .iter()
        .map(|m| m.required("arn").map(str::to_string))
        .collect()
}

/// What an audit event keeps of an issued role session (never its secret or token).
fn issued(assumed: &crate::sts::role_session::AssumedRole) -> Value {
    json!({
        "accessKeyId": assumed.credentials.access_key_id,
        "assumedRoleId": assumed.assumed_role_id,
        "arn": assumed.arn,
        "expiration": assumed.credentials.expiration.to_rfc3339(),
    })
}

/// The role session of an answer after its credentials: `AssumedRoleUser`, the packed
/// policy size and the source identity.
fn write_role_session(b: &mut XmlBody<'_>, assumed: &crate::sts::role_session::AssumedRole) {
    b.element("AssumedRoleUser", |b| {
        b.text("AssumedRoleId", &assumed.assumed_role_id)
            .text("Arn", &assumed.arn);
    });
    b.int("PackedPolicySize", i64::from(assumed.packed_policy_size));
    b.opt_text("SourceIdentity", assumed.source_identity.as_deref());
}

/// The session policies, tags and source identity of a request.
fn session_request(env: &Env<'_>) -> Result<SessionRequest, AwsError> {
    let policy_arns = policy_arns(&env.params)?;
    Ok(SessionRequest {
        policy: opt(env, "Policy"),
        policy_arns,
        tags: env
            .params
            .tags("Tags")?
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect(),
        transitive_tag_keys: env
            .params
            .list("TransitiveTagKeys")?
            .into_iter()
            .map(str::to_string)
            .collect(),
        source_identity: opt(env, "SourceIdentity"),
    })
}

/// Audits a successful call (failures are audited by the endpoint). Calls that issue
/// credentials record their key id, never the secret or the token.
fn audit(env: &Env<'_>, action: &str, read_only: bool, parameters: Value, response: Value) {
    let mut event = AuditEvent::new(EventSource::Sts, action)
        .account(env.account())
        .actor(env.caller.arn())
        .parameters(parameters)
        .response(response);
    event.read_only = read_only;
    env.api
        .audit
        .push(env.ctx().clock.now_naive(), &env.call.meta, event);
}

fn audit_issue(env: &Env<'_>, action: &str, parameters: Value, response: Value) {
    audit(env, action, false, parameters, response);
}

fn assume(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let request = AssumeRoleRequest {
        role_arn: env.params.required("RoleArn")?.to_string(),
        session_name: env.params.required("RoleSessionName")?.to_string(),
        duration_seconds: env.params.int("DurationSeconds", i64::MIN, i64::MAX)?,
        session: session_request(env)?,
        external_id: opt(env, "ExternalId"),
        serial_number: opt(env, "SerialNumber"),
        token_code: opt(env, "TokenCode"),
    };
    let assumed = assume_role::assume_role(
        env.ctx(),
        &env.api.authorizer,
        &env.caller,
        &env.facts,
        &request,
    )?;
    // Before the audit event: a write deferred to the blocking pool leaves no event behind.
    super::authenticate::record_use_with(env.api, &assumed.role_id, |now| {
        crate::iam::roles::record_use(env.ctx(), &assumed.role_id, now, &env.api.region)
    });
    audit_issue(
        env,
        "AssumeRole",
        json!({
            "roleArn": request.role_arn,
            "roleSessionName": request.session_name,
            "durationSeconds": request.duration_seconds,
            "externalId": request.external_id,
            "serialNumber": request.serial_number,
            "sourceIdentity": request.session.source_identity,
            "tagKeys": request.session.tags.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            "policyArns": request.session.policy_arns,
        }),
        issued(&assumed),
    );
    let mut r = response("AssumeRole");
    let mut b = r.body();
    write_credentials(&mut b, &assumed.credentials);
    write_role_session(&mut b, &assumed);
    Ok(r)
}

/// AssumeRoleWithWebIdentity, unsigned: the token is the proof. Its answer and its audit
/// event name the token's subject, issuer and audience, never the token.
pub fn web_identity(env: &UnsignedEnv<'_>) -> Result<XmlResponse, AwsError> {
    let params = &env.params;
    let policy_arns = policy_arns(params)?;
    let request = WebIdentityRequest {
        role_arn: params.required("RoleArn")?.to_string(),
        session_name: params.required("RoleSessionName")?.to_string(),
        token: params.required("WebIdentityToken")?.to_string(),
        duration_seconds: params.int("DurationSeconds", i64::MIN, i64::MAX)?,
        // ProviderId names OAuth 2.0 providers (Login with Amazon, Facebook); it is ignored.
        policy: params.get("Policy").map(str::to_string),
        policy_arns,
    };
    let api = env.api;
    let made = web_identity::assume_role_with_web_identity(
        &api.ctx,
        &api.authorizer,
        &api.web_identity_providers,
        &env.facts,
        &request,
    )?;
    let assumed = &made.assumed;
    super::authenticate::record_use_with(api, &assumed.role_id, |now| {
        crate::iam::roles::record_use(&api.ctx, &assumed.role_id, now, &api.region)
    });
    let account = assumed.arn.split(':').nth(4).unwrap_or_default();
    let mut event = AuditEvent::new(EventSource::Sts, "AssumeRoleWithWebIdentity")
        .account(account)
        .actor(format!("{}:{}", made.provider_arn, made.subject))
        .parameters(json!({
            "roleArn": request.role_arn,
            "roleSessionName": request.session_name,
            "durationSeconds": request.duration_seconds,
            "providerArn": made.provider_arn,
            "subject": made.subject,
            "audience": made.audience,
            "policyArns": request.policy_arns,
        }))
        .response(issued(assumed));
    event.read_only = false;
    api.audit.push(api.ctx.clock.now_naive(), &env.meta, event);
    let mut r = response("AssumeRoleWithWebIdentity");
    let mut b = r.body();
    write_credentials(&mut b, &assumed.credentials);
    b.text("SubjectFromWebIdentityToken", &made.subject);
    b.element("AssumedRoleUser", |b| {
        b.text("AssumedRoleId", &assumed.assumed_role_id)
            .text("Arn", &assumed.arn);
    });
    b.int("PackedPolicySize", i64::from(assumed.packed_policy_size));
    b.text("Provider", &made.provider_arn);
    b.text("Audience", &made.audience);
    b.opt_text("SourceIdentity", assumed.source_identity.as_deref());
    Ok(r)
}

/// AssumeRoleWithLDAPIdentity, unsigned: the directory's bind is the proof. Its answer and its
/// audit event name the directory, the person's DN and their groups, never the password.
pub fn ldap_identity(env: &UnsignedEnv<'_>) -> Result<XmlResponse, AwsError> {
    let params = &env.params;
    let policy_arns = policy_arns(params)?;
    let request = LdapIdentityRequest {
        role_arn: params.required("RoleArn")?.to_string(),
        username: params.required("LDAPUsername")?.to_string(),
        password: crate::secrets::SecretString::from(params.required("LDAPPassword")?.to_string()),
        directory: params.get("DirectoryName").map(str::to_string),
        duration_seconds: params.int("DurationSeconds", i64::MIN, i64::MAX)?,
        policy: params.get("Policy").map(str::to_string),
        policy_arns,
    };
    let api = env.api;
    let made = ldap_identity::assume_role_with_ldap_identity(
        &api.ctx,
        &api.authorizer,
        &api.directories,
        &env.facts,
        &env.meta,
        &request,
    )?;
    let assumed = &made.assumed;
    super::authenticate::record_use_with(api, &assumed.role_id, |now| {
        crate::iam::roles::record_use(&api.ctx, &assumed.role_id, now, &api.region)
    });
    let account = assumed.arn.split(':').nth(4).unwrap_or_default();
    let mut event = AuditEvent::new(EventSource::Sts, "AssumeRoleWithLDAPIdentity")
        .account(account)
        .actor(format!("{}:{}", made.user.directory_arn, made.user.dn))
        .parameters(json!({
            "roleArn": request.role_arn,
            "directory": made.user.directory,
            "userName": made.user.username,
            "userDn": made.user.dn,
            "groups": made.user.groups,
            "durationSeconds": request.duration_seconds,
            "policyArns": request.policy_arns,
        }))
        .response(issued(assumed));
    event.read_only = false;
    api.audit.push(api.ctx.clock.now_naive(), &env.meta, event);
    let mut r = response("AssumeRoleWithLDAPIdentity");
    let mut b = r.body();
    write_credentials(&mut b, &assumed.credentials);
    write_role_session(&mut b, assumed);
    Ok(r)
}

/// Always allowed, whatever the policies: it only tells callers who they are.
fn caller_identity(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    audit(env, "GetCallerIdentity", true, json!({}), json!({}));
    let mut r = response("GetCallerIdentity");
    r.body()
        .text("UserId", &env.caller.user_id())
        .text("Account", env.account())
        .text("Arn", &env.caller.arn());
    Ok(r)
}

fn session_token(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let request = SessionTokenRequest {
        duration_seconds: env.params.int("DurationSeconds", i64::MIN, i64::MAX)?,
        serial_number: opt(env, "SerialNumber"),
        token_code: opt(env, "TokenCode"),
    };
    let credentials =
        session_token::get_session_token(env.ctx(), &env.caller, &env.facts, &request)?;
    audit_issue(
        env,
        "GetSessionToken",
        json!({
            "durationSeconds": request.duration_seconds,
            "serialNumber": request.serial_number,
        }),
        json!({
            "accessKeyId": credentials.access_key_id,
            "expiration": credentials.expiration.to_rfc3339(),
        }),
    );
    let mut r = response("GetSessionToken");
    write_credentials(&mut r.body(), &credentials);
    Ok(r)
}

fn federation_token(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let request = FederationTokenRequest {
        name: env.params.required("Name")?.to_string(),
        duration_seconds: env.params.int("DurationSeconds", i64::MIN, i64::MAX)?,
        session: session_request(env)?,
    };
    let arn = federation_token::federated_arn(env.account(), &request.name);
    env.authorize("sts:GetFederationToken", &arn)?;
    if !request.session.tags.is_empty() {
        env.authorize("sts:TagSession", &arn)?;
    }
    let federated =
        federation_token::get_federation_token(env.ctx(), &env.caller, &env.facts, &request)?;
    audit_issue(
        env,
        "GetFederationToken",
        json!({
            "name": request.name,
            "durationSeconds": request.duration_seconds,
            "tagKeys": request.session.tags.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            "policyArns": request.session.policy_arns,
        }),
        json!({
            "accessKeyId": federated.credentials.access_key_id,
            "federatedUserId": federated.federated_user_id,
            "expiration": federated.credentials.expiration.to_rfc3339(),
        }),
    );
    let mut r = response("GetFederationToken");
    let mut b = r.body();
    write_credentials(&mut b, &federated.credentials);
    b.element("FederatedUser", |b| {
        b.text("FederatedUserId", &federated.federated_user_id)
            .text("Arn", &federated.arn);
    });
    b.int("PackedPolicySize", i64::from(federated.packed_policy_size));
    Ok(r)
}

/// The account a key belongs to: read from a temporary key's id, or from the store for a
/// long-term key. Needs `sts:GetAccessKeyInfo`.
fn access_key_info(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let key_id = env.params.required("AccessKeyId")?.to_string();
    env.authorize("sts:GetAccessKeyInfo", "*")?;
    let account = crate::sts::key_account(env.ctx(), &key_id)?.ok_or_else(|| {
        AwsError::invalid_parameter_value(format!("The access key ID {key_id} is not valid."))
    })?;
    audit(
        env,
        "GetAccessKeyInfo",
        true,
        json!({ "accessKeyId": key_id }),
        json!({ "account": account }),
    );
    let mut r = response("GetAccessKeyInfo");
    r.body().text("Account", &account);
    Ok(r)
}

/// Opens an encoded authorization message of the authorization endpoint's denials. Needs
/// `sts:DecodeAuthorizationMessage`, and opens only messages about the caller's own account:
/// another account's message is answered as an invalid one, as it cannot be opened.
fn decode_message(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let encoded = env.params.required("EncodedMessage")?.to_string();
    env.authorize("sts:DecodeAuthorizationMessage", "*")?;
    let decoded = env
        .ctx()
        .master_key
        .open_string(
            &super::keyward::authorize::message_purpose(env.account()),
            &encoded,
        )
        .map_err(|_| {
            AwsError::sender(
                "InvalidAuthorizationMessageException",
                400,
                "The encoded authorization message is not valid.",
            )
        })?;
    audit(
        env,
        "DecodeAuthorizationMessage",
        true,
        json!({}),
        json!({}),
    );
    let mut r = response("DecodeAuthorizationMessage");
    r.body().text("DecodedMessage", decoded.expose_secret());
    Ok(r)
}
