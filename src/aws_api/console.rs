//! IAM and STS actions on behalf of a console session: the very handlers a signed API call
//! reaches, so the console gets the same validation, authorization (with AWS's `AccessDenied`
//! messages), quotas, error codes and audit events as the AWS CLI, with the session's caller.

use super::auditing::{audit_failure, audit_read};
use super::endpoint::AwsApi;
use super::env::Env;
use super::error::AwsError;
use super::query::QueryParams;
use crate::audit::RequestMeta;
use crate::authz::{Caller, RequestFacts};
use crate::iam::Call;
use quick_xml::events::Event;
use quick_xml::Reader;

/// Who acts, and the facts of the console request.
#[derive(Debug, Clone)]
pub struct Acting {
    pub caller: Caller,
    pub facts: RequestFacts,
    pub meta: RequestMeta,
}

/// A successful action's XML answer, with a reader for its values.
#[derive(Debug, Clone)]
pub struct Reply(pub String);

impl Reply {
    /// The text of every `<tag>` element, in document order.
    pub fn values(&self, tag: &str) -> Vec<String> {
        let mut reader = Reader::from_str(&self.0);
        let mut out = Vec::new();
        let mut inside = false;
        let mut raw = String::new();
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) if e.name().as_ref() == tag => {
                    inside = true;
                    raw.clear();
                }
                // Text and entity references arrive apart; the raw text is unescaped at the end.
                Ok(Event::Text(t)) if inside => raw.push_str(&t),
                Ok(Event::GeneralRef(r)) if inside => {
                    raw.push('&');
                    raw.push_str(&r);
                    raw.push(';');
                }
                Ok(Event::End(e)) if inside && e.name().as_ref() == tag => {
                    inside = false;
                    let text = quick_xml::escape::unescape(&raw).map(|t| t.into_owned());
                    out.push(text.unwrap_or_else(|_| raw.clone()));
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        out
    }

    /// Every `<tag>` element (outermost ones, such as the `<member>`s of a list), each as a
    /// reply of its own for reading its fields.
    pub fn items(&self, tag: &str) -> Vec<Reply> {
        let mut reader = Reader::from_str(&self.0);
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut open: Option<(usize, usize)> = None;
        loop {
            let event = reader.read_event();
            let at = usize::try_from(reader.buffer_position()).unwrap_or(0);
            match event {
                Ok(Event::Start(e)) => {
                    depth += 1;
                    if open.is_none() && e.name().as_ref() == tag {
                        open = Some((depth, at));
                    }
                }
                Ok(Event::End(e)) => {
                    if let Some((d, start)) = open {
                        if d == depth && e.name().as_ref() == tag {
                            let end = at.saturating_sub(tag.len() + 3);
                            out.push(Reply(
                                self.0.get(start..end).unwrap_or_default().to_string(),
                            ));
                            open = None;
                        }
                    }
                    depth = depth.saturating_sub(1);
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        out
    }

    /// The text of the first `<tag>` element.
    pub fn value(&self, tag: &str) -> Option<String> {
        self.values(tag).into_iter().next()
    }
}

fn run(
    api: &AwsApi,
    who: &Acting,
    service: &str,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Reply, AwsError> {
    let mut pairs = vec![
        ("Action".to_string(), action.to_string()),
        ("Version".to_string(), version.to_string()),
    ];
    pairs.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let params = QueryParams::from_pairs(pairs)?;
    let env = Env {
        api,
        call: Call {
            account_id: who.caller.account_id().to_string(),
            actor_arn: who.caller.arn(),
            meta: who.meta.clone(),
        },
        facts: who.facts.clone(),
        caller: who.caller.clone(),
        params,
    };
    let result = match service {
        "sts" => super::sts::dispatch(&env, action),
        _ => super::iam::dispatch(&env, action),
    };
    match &result {
        Err(error) => audit_failure(api, Some(&env.caller), &who.meta, service, action, error),
        Ok(_) if service == "iam" && super::iam::is_read_only(action) => audit_read(&env, action),
        Ok(_) => {}
    }
    let request_id = who.meta.request_id.clone().unwrap_or_default();
    let body = result?
        .finish(&request_id)
        .map_err(|_| AwsError::service_failure())?;
    Ok(Reply(body))
}

/// Runs an IAM action as `who`.
pub fn iam(
    api: &AwsApi,
    who: &Acting,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Reply, AwsError> {
    run(api, who, "iam", "2010-05-08", action, params)
}

/// Runs an STS action as `who`.
pub fn sts(
    api: &AwsApi,
    who: &Acting,
    action: &str,
    params: &[(&str, &str)],
) -> Result<Reply, AwsError> {
    run(api, who, "sts", "2011-06-15", action, params)
}

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn values_are_read_with_their_entities_resolved() {
        let r = Reply(
            "<R><A><Name>x &amp; y</Name></A><A><Name>z&#33;</Name></A><Other/></R>".to_string(),
        );
        assert_eq!(r.values("Name"), ["x & y", "z!"]);
        assert_eq!(r.value("Missing"), None);
        let items = r.items("A");
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].value("Name").as_deref(), Some("z!"));
        let nested =
            Reply("<L><member><T><member>x</member></T></member><member>y</member></L>".into());
        let outer = nested.items("member");
        assert_eq!(outer.len(), 2);
        assert_eq!(outer[0].items("member").len(), 1);
    }
}
