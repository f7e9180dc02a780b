//! The AWS actions that take no signature: their caller proves who it is in the parameters
//! (a web identity token, a SAML assertion), so they are routed by their name before anything
//! is authenticated and served in an environment without a caller.
//!
//! Served: STS's AssumeRoleWithWebIdentity and AssumeRoleWithLDAPIdentity. Every other unsigned request is refused as the
//! signed dispatch refuses it (`MissingAuthenticationToken`).

use super::auditing::audit_failure;
use super::endpoint::{AwsApi, Incoming};
use super::error::AwsError;
use super::incoming::action_hint;
use super::query::QueryParams;
use super::xml::{self, XmlResponse};
use crate::audit::RequestMeta;
use crate::authz::RequestFacts;

/// One unsigned call, as its handler sees it: no caller, no account until the handler finds
/// one in what the parameters prove.
pub struct UnsignedEnv<'a> {
    pub api: &'a AwsApi,
    pub meta: RequestMeta,
    pub facts: RequestFacts,
    pub params: QueryParams,
}

/// An action served without a signature.
pub(super) struct UnsignedAction {
    /// The service whose namespace answers it (`sts`).
    pub service: &'static str,
    /// The action's name, as `Action=` gives it.
    pub name: &'static str,
    pub serve: fn(&UnsignedEnv<'_>) -> Result<XmlResponse, AwsError>,
}

/// Every unsigned action.
const ACTIONS: &[UnsignedAction] = &[
    UnsignedAction {
        service: "sts",
        name: "AssumeRoleWithWebIdentity",
        serve: super::sts::web_identity,
    },
    UnsignedAction {
        service: "sts",
        name: "AssumeRoleWithLDAPIdentity",
        serve: super::sts::ldap_identity,
    },
];

/// The unsigned action an unsigned request names, read as a refused request's action is (from
/// the query and the start of the body, see [`action_hint`]); `None` for any other action.
pub(super) fn route(incoming: &Incoming) -> Option<&'static UnsignedAction> {
    find(&action_hint(incoming))
}

fn find(name: &str) -> Option<&'static UnsignedAction> {
    ACTIONS.iter().find(|action| action.name == name)
}

/// Serves `action`: its parameters decoded, its handler called, a failure audited as an
/// unauthenticated one (sampled: anyone can send them).
pub(super) fn serve(
    api: &AwsApi,
    incoming: &Incoming,
    action: &UnsignedAction,
) -> (&'static str, Result<XmlResponse, AwsError>) {
    let namespace = xml::namespace(action.service);
    let params = if incoming.method == "POST" {
        QueryParams::from_query_and_body(&incoming.query, &incoming.body)
    } else {
        QueryParams::from_query_string(&incoming.query)
    };
    let result = params.and_then(|params| {
        let env = UnsignedEnv {
            api,
            meta: incoming.meta.clone(),
            facts: incoming.facts(api, api.ctx.clock.now()),
            params,
        };
        (action.serve)(&env)
    });
    if let Err(error) = &result {
        audit_failure(
            api,
            None,
            &incoming.meta,
            action.service,
            action.name,
            error,
        );
    }
    (namespace, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_actions_that_carry_their_proof_are_served_unsigned() {
        assert!(find("AssumeRoleWithWebIdentity").is_some());
        assert!(find("AssumeRoleWithLDAPIdentity").is_some());
        // Issue 20 adds AssumeRoleWithSAML; until then it is refused as any unsigned request.
        for name in ["AssumeRoleWithSAML", "AssumeRole", "ListUsers", ""] {
            assert!(find(name).is_none(), "{name}");
        }
    }
}
