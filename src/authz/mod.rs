//! Authorization: principal + action + resource + request facts -> decision.
//!
//! Loads the caller's policies (its own and its groups' inline and attached managed policies,
//! and its permissions boundary), caches them per principal until the next IAM change (see
//! [`ServiceContext::change`]), builds the request context and asks the pure policy engine.

mod caller;
pub mod load;

pub use caller::Caller;
pub use load::{PolicySource, PrincipalPolicies};
pub mod simulate;

use crate::context::ServiceContext;
use crate::iam::IamError;
use crate::policy::{self, Decision, EvaluationInput, RequestContext};
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
}

/// Bound on cached principals; past it the cache starts over (policies reload on demand).
const CACHE_CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct Authorizer {
    cache: Mutex<HashMap<String, (u64, Arc<PrincipalPolicies>)>>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authorizer")
    }
}

impl Authorizer {
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
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, (epoch, loaded.clone()));
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
        for (k, v) in &policies.tags {
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
        let policies = self.policies(ctx, caller)?;
        let request = Self::context(caller, &policies, facts, action, resource);
        let decision = policy::evaluate(&EvaluationInput {
            context: &request,
            identity: &policies.identity,
            boundary: policies.boundary_policy(),
            session: &[],
            resource: None,
            resource_account: None,
        });
        Ok((decision, request))
    }
}
