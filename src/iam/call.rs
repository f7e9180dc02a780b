//! Who asks for a change, in which account, and from where: what every audited call carries.

use crate::audit::{self, AuditEvent, EventSource, RequestMeta};
use crate::context::ServiceContext;
use crate::storage::{DbConnection, StorageError};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Call {
    /// The account the call acts in.
    pub account_id: String,
    /// The caller's ARN, recorded as the actor.
    pub actor_arn: String,
    pub meta: RequestMeta,
}

impl Call {
    /// Records a successful change of IAM state, in the caller's transaction.
    pub fn audit(
        &self,
        ctx: &ServiceContext,
        conn: &mut DbConnection,
        name: &str,
        parameters: Value,
    ) -> Result<(), StorageError> {
        self.record(ctx, conn, EventSource::Iam, name, parameters)
    }

    /// Records a successful change made by a service of `source`, in the caller's transaction.
    pub fn record(
        &self,
        ctx: &ServiceContext,
        conn: &mut DbConnection,
        source: EventSource,
        name: &str,
        parameters: Value,
    ) -> Result<(), StorageError> {
        let event = AuditEvent::new(source, name)
            .account(&self.account_id)
            .actor(&self.actor_arn)
            .parameters(parameters);
        audit::record(
            conn,
            ctx.clock.now_naive(),
            ctx.random.as_ref(),
            &self.meta,
            event,
        )
    }
}
