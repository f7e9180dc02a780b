//! Authorization: principal + action + resource + request facts -> decision.
//!
//! Loads the caller's policies (its own and its groups' inline and attached managed policies,
//! and its permissions boundary), caches them per principal until the next IAM change (see
//! [`ServiceContext::change`]), builds the request context and asks the pure policy engine.
//! [`Authorizer::authorize`] (in `authorize.rs`) is the one answer every surface asks: the
//! session restrictions, the root rule, the decision and the `AccessDenied` message.

mod authorize;
mod caller;
pub mod load;

pub use authorize::{session_restriction, Denied, Settled};
pub use caller::Caller;
pub use load::{PolicySource, PrincipalPolicies};
pub mod simulate;

use crate::context::ServiceContext;
use crate::credentials::SessionPrincipal;
use crate::iam::roles::{self, Role};
use crate::iam::trust_principals;
use crate::iam::IamError;
use crate::policy::{
    self, ContextValue, Decision, EvaluationInput, Policy, PolicyKind, RequestContext,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Facts about the request that become `aws:*` context keys.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub now: DateTime<Utc>,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub secure_transport: bool,
    pub region: String,
    /// How the console session behind the request signed in (`None` off the console).
    pub console: Option<ConsoleSignin>,
}

/// A console session's sign-in, as the `aws:*` keys describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleSignin {
    /// Unix time of the sign-in (`aws:TokenIssueTime`).
    pub signed_in_at: i64,
    /// Unix time the second factor was proved, if it was.
    pub mfa_at: Option<i64>,
}

/// Bound on cached principals; past it the cache starts over (policies reload on demand).
const CACHE_CAPACITY: usize = 100_000;

/// Cached session policies of one temporary credential (`None`: the session is not narrowed).
type SessionEntry = (u64, Option<Arc<Vec<Policy>>>);

/// A role as AssumeRole needs it: its row and its compiled trust policy.
#[derive(Debug)]
pub struct TrustedRole {
    pub role: Role,
    pub trust: Policy,
}

/// Cached roles by (account, lower-case name); `None` remembers that there is none.
type RoleEntry = (u64, Option<Arc<TrustedRole>>);

#[derive(Default)]
pub struct Authorizer {
    cache: Mutex<HashMap<String, (u64, Arc<PrincipalPolicies>)>>,
    sessions: Mutex<HashMap<String, SessionEntry>>,
    roles: Mutex<HashMap<(String, String), RoleEntry>>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authorizer")
    }
}

impl Authorizer {
    /// Whether the caller's identity policies test `aws:MultiFactorAuthPresent` or
    /// `aws:MultiFactorAuthAge`: what they allow depends on MFA, so removing its last factor
    /// would lock it out of part of its access.
    pub fn requires_mfa(&self, ctx: &ServiceContext, caller: &Caller) -> Result<bool, IamError> {
        Ok(self.policies(ctx, caller)?.identity.iter().any(|p| {
            p.condition_keys().iter().any(|k| {
                k.eq_ignore_ascii_case("aws:MultiFactorAuthPresent")
                    || k.eq_ignore_ascii_case("aws:MultiFactorAuthAge")
            })
        }))
    }

    /// The caller's policies, from the cache while no IAM change happened since they were read.
    pub fn policies(
        &self,
        ctx: &ServiceContext,
        caller: &Caller,
    ) -> Result<Arc<PrincipalPolicies>, IamError> {
        let key = caller.cache_key();
        let epoch = ctx.epoch();
        if let Some((at, cached)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            if *at == epoch {
                return Ok(cached.clone());
            }
        }
        let loaded = Arc::new(ctx.store.read(|conn| load::for_caller(conn, caller))?);
        if crate::storage::connection::in_atomic_scope() {
            return Ok(loaded);
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, (epoch, loaded.clone()));
        Ok(loaded)
    }

    /// The role `name` of the account with its compiled trust policy, cached like policies
    /// until the next IAM change: AssumeRole reads nothing from the store on its hot path.
    pub fn trusted_role(
        &self,
        ctx: &ServiceContext,
        account_id: &str,
        name: &str,
    ) -> Result<Option<Arc<TrustedRole>>, IamError> {
        let key = (account_id.to_string(), name.to_lowercase());
        let epoch = ctx.epoch();
        if let Some((at, cached)) = self
            .roles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            if *at == epoch {
                return Ok(cached.clone());
            }
        }
        let found = ctx.store.query(|conn| {
            let role = roles::find(conn, account_id, name)?;
            let ids = trust_principals::ids(conn, &role.id)?;
            Ok::<_, IamError>((role, ids))
        });
        let loaded = match found {
            Ok((role, ids)) => {
                // Users and roles are trusted by the ids they had when the policy was saved.
                let trust = Policy::parse(&role.assume_role_policy, PolicyKind::Trust)
                    .map_err(|e| IamError::Internal(format!("stored trust policy: {e}")))?
                    .with_principal_ids(&|arn: &str| ids.get(arn).cloned());
                Some(Arc::new(TrustedRole { role, trust }))
            }
            Err(IamError::NoSuchEntity(_)) => None,
            Err(e) => return Err(e),
        };
        if crate::storage::connection::in_atomic_scope() {
            return Ok(loaded);
        }
        let mut cache = self.roles.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, (epoch, loaded.clone()));
        Ok(loaded)
    }

    /// The session policies of a temporary credential, cached per access key like the
    /// principals' policies. A federated session without policies is granted nothing (as
    /// GetFederationToken documents).
    pub fn session_policies(
        &self,
        ctx: &ServiceContext,
        caller: &Caller,
    ) -> Result<Option<Arc<Vec<Policy>>>, IamError> {
        let Caller::Session {
            access_key_id,
            claims,
        } = caller
        else {
            return Ok(None);
        };
        let epoch = ctx.epoch();
        if let Some((at, cached)) = self
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(access_key_id)
        {
            if *at == epoch {
                return Ok(cached.clone());
            }
        }
        let mut loaded = ctx
            .store
            .read(|conn| load::session_policies(conn, claims))?;
        if matches!(claims.principal, SessionPrincipal::Federated { .. }) && loaded.is_none() {
            loaded = Some(Vec::new());
        }
        let loaded = match loaded {
            Some(mut policies) => {
                if policies.is_empty() {
                    policies.push(grants_nothing()?);
                }
                Some(Arc::new(policies))
            }
            None => None,
        };
        if crate::storage::connection::in_atomic_scope() {
            return Ok(loaded);
        }
        let mut cache = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(access_key_id.clone(), (epoch, loaded.clone()));
        Ok(loaded)
    }

    /// The request context for `caller` doing `action` on `resource`.
    pub fn context(
        caller: &Caller,
        policies: &PrincipalPolicies,
        facts: &RequestFacts,
        action: &str,
        resource: &str,
    ) -> RequestContext {
        let mut principal = caller.principal();
        let session = caller.session();
        // Session tags override the role's or user's tags of the same key.
        let session_tags = session.map(|s| s.tags.as_slice()).unwrap_or_default();
        for (k, v) in &policies.tags {
            if !session_tags
                .iter()
                .any(|(sk, _)| sk.eq_ignore_ascii_case(k))
            {
                principal = principal.with_tag(k, v);
            }
        }
        for (k, v) in session_tags {
            principal = principal.with_tag(k, v);
        }
        let mut ctx = RequestContext::new(principal, action, resource)
            .with("aws:CurrentTime", facts.now)
            .with("aws:EpochTime", facts.now.timestamp())
            .with("aws:SecureTransport", facts.secure_transport)
            .with("aws:RequestedRegion", facts.region.as_str())
            .with("aws:ViaAWSService", false);
        if let Some(ip) = facts.source_ip {
            ctx.insert("aws:SourceIp", ip);
        }
        if let Some(agent) = &facts.user_agent {
            ctx.insert("aws:UserAgent", agent.as_str());
        }
        if let Some(console) = facts.console {
            if let Some(issued) = DateTime::from_timestamp(console.signed_in_at, 0) {
                ctx.insert("aws:TokenIssueTime", issued);
            }
            ctx.insert("aws:MultiFactorAuthPresent", console.mfa_at.is_some());
            if let Some(mfa_at) = console.mfa_at {
                ctx.insert(
                    "aws:MultiFactorAuthAge",
                    (facts.now.timestamp() - mfa_at).max(0),
                );
            }
        }
        if let Some(session) = session {
            if let Some(issued) = DateTime::from_timestamp(session.issued_at, 0) {
                ctx.insert("aws:TokenIssueTime", issued);
            }
            ctx.insert("aws:MultiFactorAuthPresent", session.mfa_at.is_some());
            if let Some(mfa_at) = session.mfa_at {
                ctx.insert(
                    "aws:MultiFactorAuthAge",
                    (facts.now.timestamp() - mfa_at).max(0),
                );
            }
            if let Some(source) = &session.source_identity {
                ctx.insert("aws:SourceIdentity", source.as_str());
            }
        }
        ctx
    }

    /// Decides whether `caller` may do `action` on `resource`. The root user may do everything
    /// in its own account.
    pub fn decide(
        &self,
        ctx: &ServiceContext,
        caller: &Caller,
        facts: &RequestFacts,
        action: &str,
        resource: &str,
    ) -> Result<(Decision, RequestContext), IamError> {
        self.decide_for(ctx, caller, facts, &ResourceRequest::new(action, resource))
    }

    /// Decides a request on any resource, with the context keys and the resource policy its
    /// owner supplies (the authorization endpoint for resource servers).
    pub fn decide_for(
        &self,
        ctx: &ServiceContext,
        caller: &Caller,
        facts: &RequestFacts,
        request: &ResourceRequest<'_>,
    ) -> Result<(Decision, RequestContext), IamError> {
        let policies = self.policies(ctx, caller)?;
        let session = self.session_policies(ctx, caller)?;
        let mut context = Self::context(caller, &policies, facts, request.action, request.resource);
        for (key, value) in &request.context {
            context.insert(key, value.clone());
        }
        let decision = policy::evaluate(&EvaluationInput {
            context: &context,
            identity: &policies.identity,
            boundary: policies.boundary_policy(),
            session: session.as_deref().map(Vec::as_slice).unwrap_or_default(),
            resource: request.resource_policy,
            resource_account: request.resource_account,
        });
        Ok((decision, context))
    }
}

/// A request on a resource as its owner describes it.
#[derive(Debug, Clone)]
pub struct ResourceRequest<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    /// Context keys the owner knows (`s3:prefix`, `aws:SourceIp` as it saw the caller, ...).
    pub context: Vec<(String, ContextValue)>,
    pub resource_policy: Option<&'a Policy>,
    /// The account owning the resource; `None`: the caller's own.
    pub resource_account: Option<&'a str>,
}

impl<'a> ResourceRequest<'a> {
    /// `action` on `resource` of the caller's own account, with no context keys nor resource
    /// policy beyond the request's facts.
    pub fn new(action: &'a str, resource: &'a str) -> Self {
        Self {
            action,
            resource,
            context: Vec::new(),
            resource_policy: None,
            resource_account: None,
        }
    }
}

/// A session policy that allows nothing: the session policies' intersection then grants no
/// permission (an implicit deny, as for a federated user given no policy).
fn grants_nothing() -> Result<Policy, IamError> {
    const DOCUMENT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}"#;
    Policy::parse(DOCUMENT, PolicyKind::Session)
        .map(|policy| policy.with_label("session-policy"))
        .map_err(|e| IamError::Internal(e.to_string()))
}
