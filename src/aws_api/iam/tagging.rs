//! Tag{X}, Untag{X} and List{X}Tags for every taggable kind: users, roles, managed policies,
//! instance profiles, OpenID Connect providers and virtual MFA devices.

use super::{account, page, req, response, roles, tags, users, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::XmlResponse;
use crate::iam::tags::{self as tag_service, Taggable};

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Taggable::ALL.into_iter().find_map(|kind| {
        let noun = kind.noun();
        if action.strip_prefix("Tag") == Some(noun) {
            Some(tag(env, kind, action))
        } else if action.strip_prefix("Untag") == Some(noun) {
            Some(untag(env, kind, action))
        } else if action
            .strip_prefix("List")
            .and_then(|rest| rest.strip_suffix("Tags"))
            == Some(noun)
        {
            Some(list(env, kind, action))
        } else {
            None
        }
    })
}

/// The ARN IAM authorizes these actions on: the entity's own ARN (with its path).
fn resource(env: &Env<'_>, kind: Taggable, name: &str) -> String {
    match kind {
        Taggable::User => users::resource(env, name),
        Taggable::Role => roles::resource(env, name),
        Taggable::InstanceProfile => account::profile_resource(env, name),
        // Named by their ARN (a virtual MFA device's serial number is its ARN).
        Taggable::Policy | Taggable::OidcProvider | Taggable::Mfa => name.to_string(),
    }
}

fn tag(env: &Env<'_>, kind: Taggable, action: &str) -> Result<XmlResponse, AwsError> {
    let name = req(env, kind.parameter())?;
    env.authorize(&format!("iam:{action}"), &resource(env, kind, &name))?;
    tag_service::tag(env.ctx(), &env.call, kind, &name, &tags(env, "Tags")?)?;
    Ok(super::empty(action))
}

fn untag(env: &Env<'_>, kind: Taggable, action: &str) -> Result<XmlResponse, AwsError> {
    let name = req(env, kind.parameter())?;
    env.authorize(&format!("iam:{action}"), &resource(env, kind, &name))?;
    let keys: Vec<String> = env
        .params
        .list("TagKeys")?
        .into_iter()
        .map(str::to_string)
        .collect();
    tag_service::untag(env.ctx(), &env.call, kind, &name, &keys)?;
    Ok(super::empty(action))
}

fn list(env: &Env<'_>, kind: Taggable, action: &str) -> Result<XmlResponse, AwsError> {
    let name = req(env, kind.parameter())?;
    env.authorize(&format!("iam:{action}"), &resource(env, kind, &name))?;
    let found = tag_service::list_page(env.ctx(), env.account(), kind, &name, &page(env)?)?;
    let mut r = response(action);
    let mut b = r.body();
    write::tags(&mut b, "Tags", &found.items);
    write::truncation(&mut b, &found);
    Ok(r)
}
