//! The environment of one signed AWS call, as the action handlers see it: the API's state, who
//! is calling, the call's audit details, the request facts and the parameters; and the one
//! question every handler asks of it, whether its caller may do an action on a resource.

use super::endpoint::AwsApi;
use super::error::AwsError;
use super::query::QueryParams;
use crate::authz::{Authorizer, Caller, RequestFacts, ResourceRequest, Settled};
use crate::context::ServiceContext;
use crate::iam::Call;

/// One call, as the action handlers see it.
pub struct Env<'a> {
    pub api: &'a AwsApi,
    pub caller: Caller,
    pub call: Call,
    pub facts: RequestFacts,
    pub params: QueryParams,
}

impl Env<'_> {
    pub fn ctx(&self) -> &ServiceContext {
        &self.api.ctx
    }

    pub fn account(&self) -> &str {
        self.caller.account_id()
    }

    /// Authorizes `action` on `resource` (see [`Authorizer::authorize`]: restricted sessions
    /// are refused, the root user may do anything in its account).
    pub fn authorize(&self, action: &str, resource: &str) -> Result<(), AwsError> {
        // IAM's own keys (iam:PolicyARN, aws:RequestTag/*, ...), as AWS sets them per action,
        // only for a request that the policies decide.
        if Authorizer::settle(&self.caller, action, resource)? == Settled::Root {
            return Ok(());
        }
        let context = super::iam::condition_keys::for_request(self, action, resource)?;
        self.api.authorizer.authorize(
            self.ctx(),
            &self.caller,
            &self.facts,
            &ResourceRequest {
                context,
                ..ResourceRequest::new(action, resource)
            },
        )?;
        Ok(())
    }
}
