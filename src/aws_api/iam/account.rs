//! Instance profiles, OpenID Connect providers, the account alias and the account summary.

use super::{arn_in, authorize_create, empty, page, req, response, write};
use crate::aws_api::env::Env;
use crate::aws_api::error::AwsError;
use crate::aws_api::xml::{XmlBody, XmlResponse};
use crate::iam::details::{self, Filter, Policies};
use crate::iam::instance_profiles::{self, ProfileView};
use crate::iam::oidc_providers::{self, Change};
use crate::iam::tags::Taggable;
use crate::iam::{account, reports};

pub fn dispatch(env: &Env<'_>, action: &str) -> Option<Result<XmlResponse, AwsError>> {
    Some(match action {
        "CreateInstanceProfile" => create_profile(env),
        "GetInstanceProfile" => get_profile(env),
        "DeleteInstanceProfile" => delete_profile(env),
        "ListInstanceProfiles" => list_profiles(env),
        "AddRoleToInstanceProfile" => profile_role(env, action, true),
        "RemoveRoleFromInstanceProfile" => profile_role(env, action, false),
        "ListInstanceProfilesForRole" => profiles_for_role(env),
        "CreateOpenIDConnectProvider" => create_provider(env),
        "GetOpenIDConnectProvider" => get_provider(env),
        "ListOpenIDConnectProviders" => list_providers(env),
        "DeleteOpenIDConnectProvider" => delete_provider(env),
        "AddClientIDToOpenIDConnectProvider"
        | "RemoveClientIDFromOpenIDConnectProvider"
        | "UpdateOpenIDConnectProviderThumbprint" => update_provider(env, action),
        "CreateAccountAlias" => alias(env, action),
        "DeleteAccountAlias" => alias(env, action),
        "ListAccountAliases" => list_aliases(env),
        "GetAccountSummary" => summary(env),
        "GenerateCredentialReport" => generate_report(env),
        "GetAccountAuthorizationDetails" => authorization_details(env),
        "GetCredentialReport" => get_report(env),
        _ => return None,
    })
}

pub fn profile_resource(env: &Env<'_>, name: &str) -> String {
    match instance_profiles::get(env.ctx(), env.account(), name) {
        Ok(p) => p.arn,
        Err(_) => arn_in(env, "instance-profile", "/", name),
    }
}

fn write_profile(b: &mut XmlBody<'_>, p: &ProfileView) {
    b.text("Path", &p.profile.path)
        .text("InstanceProfileName", &p.profile.name)
        .text("InstanceProfileId", &p.profile.id)
        .text("Arn", &p.arn)
        .time("CreateDate", write::utc(p.profile.created_at));
    b.list("Roles", &p.roles, |b, r| write::role(b, r, false));
    if !p.tags.is_empty() {
        write::tags(b, "Tags", &p.tags);
    }
}

fn create_profile(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "InstanceProfileName")?;
    let path = env.params.get("Path");
    let arn = arn_in(env, "instance-profile", path.unwrap_or("/"), &name);
    let tags = authorize_create(
        env,
        "iam:CreateInstanceProfile",
        Taggable::InstanceProfile,
        &arn,
    )?;
    let profile = instance_profiles::create(env.ctx(), &env.call, &name, path, &tags)?;
    let mut r = response("CreateInstanceProfile");
    r.body()
        .element("InstanceProfile", |b| write_profile(b, &profile));
    Ok(r)
}

fn get_profile(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "InstanceProfileName")?;
    env.authorize("iam:GetInstanceProfile", &profile_resource(env, &name))?;
    let profile = instance_profiles::get(env.ctx(), env.account(), &name)?;
    let mut r = response("GetInstanceProfile");
    r.body()
        .element("InstanceProfile", |b| write_profile(b, &profile));
    Ok(r)
}

fn delete_profile(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let name = req(env, "InstanceProfileName")?;
    env.authorize("iam:DeleteInstanceProfile", &profile_resource(env, &name))?;
    instance_profiles::delete(env.ctx(), &env.call, &name)?;
    Ok(empty("DeleteInstanceProfile"))
}

fn list_profiles(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize(
        "iam:ListInstanceProfiles",
        &arn_in(env, "instance-profile", "/", "*"),
    )?;
    let page = instance_profiles::list(
        env.ctx(),
        env.account(),
        env.params.get("PathPrefix"),
        &page(env)?,
    )?;
    let mut r = response("ListInstanceProfiles");
    let mut b = r.body();
    b.list("InstanceProfiles", &page.items, write_profile);
    write::truncation(&mut b, &page);
    Ok(r)
}

fn profile_role(env: &Env<'_>, action: &str, add: bool) -> Result<XmlResponse, AwsError> {
    let profile = req(env, "InstanceProfileName")?;
    let role = req(env, "RoleName")?;
    env.authorize(&format!("iam:{action}"), &profile_resource(env, &profile))?;
    if add {
        instance_profiles::add_role(env.ctx(), &env.call, &profile, &role)?;
    } else {
        instance_profiles::remove_role(env.ctx(), &env.call, &profile, &role)?;
    }
    Ok(empty(action))
}

fn profiles_for_role(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let role = req(env, "RoleName")?;
    env.authorize(
        "iam:ListInstanceProfilesForRole",
        &super::roles::resource(env, &role),
    )?;
    let profiles = instance_profiles::for_role(env.ctx(), env.account(), &role)?;
    let mut r = response("ListInstanceProfilesForRole");
    let mut b = r.body();
    b.list("InstanceProfiles", &profiles, write_profile);
    b.bool("IsTruncated", false);
    Ok(r)
}

fn strings(env: &Env<'_>, name: &str) -> Result<Vec<String>, AwsError> {
    Ok(env
        .params
        .list(name)?
        .into_iter()
        .map(str::to_string)
        .collect())
}

fn create_provider(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let url = req(env, "Url")?;
    let host = url.trim_start_matches("https://").trim_end_matches('/');
    let tags = authorize_create(
        env,
        "iam:CreateOpenIDConnectProvider",
        Taggable::OidcProvider,
        &arn_in(env, "oidc-provider/", "", host),
    )?;
    let arn = oidc_providers::create(
        env.ctx(),
        &env.call,
        &url,
        &strings(env, "ClientIDList")?,
        &strings(env, "ThumbprintList")?,
        &tags,
    )?;
    let mut r = response("CreateOpenIDConnectProvider");
    r.body().text("OpenIDConnectProviderArn", &arn);
    Ok(r)
}

fn get_provider(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "OpenIDConnectProviderArn")?;
    env.authorize("iam:GetOpenIDConnectProvider", &arn)?;
    let p = oidc_providers::get(env.ctx(), env.account(), &arn)?;
    let mut r = response("GetOpenIDConnectProvider");
    let mut b = r.body();
    b.text("Url", &p.url)
        .text_list("ClientIDList", &p.client_ids)
        .text_list("ThumbprintList", &p.thumbprints)
        .time("CreateDate", write::utc(p.created_at));
    if !p.tags.is_empty() {
        write::tags(&mut b, "Tags", &p.tags);
    }
    Ok(r)
}

fn list_providers(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:ListOpenIDConnectProviders", "*")?;
    let arns = oidc_providers::list(env.ctx(), env.account())?;
    let mut r = response("ListOpenIDConnectProviders");
    r.body().list("OpenIDConnectProviderList", &arns, |b, arn| {
        b.text("Arn", arn);
    });
    Ok(r)
}

fn delete_provider(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "OpenIDConnectProviderArn")?;
    env.authorize("iam:DeleteOpenIDConnectProvider", &arn)?;
    oidc_providers::delete(env.ctx(), &env.call, &arn)?;
    Ok(empty("DeleteOpenIDConnectProvider"))
}

fn update_provider(env: &Env<'_>, action: &str) -> Result<XmlResponse, AwsError> {
    let arn = req(env, "OpenIDConnectProviderArn")?;
    env.authorize(&format!("iam:{action}"), &arn)?;
    let thumbprints;
    let client_id;
    let change = match action {
        "AddClientIDToOpenIDConnectProvider" => {
            client_id = req(env, "ClientID")?;
            Change::AddClientId(&client_id)
        }
        "RemoveClientIDFromOpenIDConnectProvider" => {
            client_id = req(env, "ClientID")?;
            Change::RemoveClientId(&client_id)
        }
        _ => {
            thumbprints = strings(env, "ThumbprintList")?;
            Change::Thumbprints(&thumbprints)
        }
    };
    oidc_providers::update(env.ctx(), &env.call, &arn, change)?;
    Ok(empty(action))
}

fn alias(env: &Env<'_>, action: &str) -> Result<XmlResponse, AwsError> {
    let alias = req(env, "AccountAlias")?;
    env.authorize(&format!("iam:{action}"), "*")?;
    if action == "CreateAccountAlias" {
        account::create_alias(env.ctx(), &env.call, &alias)?;
    } else {
        account::delete_alias(env.ctx(), &env.call, &alias)?;
    }
    Ok(empty(action))
}

fn list_aliases(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:ListAccountAliases", "*")?;
    let aliases = account::aliases(env.ctx(), env.account())?;
    let mut r = response("ListAccountAliases");
    r.body()
        .text_list("AccountAliases", &aliases)
        .bool("IsTruncated", false);
    Ok(r)
}

fn summary(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:GetAccountSummary", "*")?;
    let entries = account::summary(env.ctx(), env.account())?;
    let mut r = response("GetAccountSummary");
    r.body().element("SummaryMap", |b| {
        for (key, value) in &entries {
            b.element("entry", |b| {
                b.text("key", key).int("value", *value);
            });
        }
    });
    Ok(r)
}

fn generate_report(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:GenerateCredentialReport", "*")?;
    reports::generate(env.ctx(), &env.call)?;
    let mut r = response("GenerateCredentialReport");
    r.body()
        .text("State", "COMPLETE")
        .text("Description", "The credential report is ready.");
    Ok(r)
}

fn get_report(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:GetCredentialReport", "*")?;
    let (content, generated) = reports::get(env.ctx(), env.account())?;
    let mut r = response("GetCredentialReport");
    r.body()
        .text("Content", &data_encoding::BASE64.encode(content.as_bytes()))
        .text("ReportFormat", "text/csv")
        .time("GeneratedTime", write::utc(generated));
    Ok(r)
}

fn write_entity_policies(b: &mut XmlBody<'_>, inline_list: &str, p: &Policies) {
    b.list(inline_list, &p.inline, |b, (name, document)| {
        b.text("PolicyName", name)
            .text("PolicyDocument", &write::encode_document(document));
    });
    b.list("AttachedManagedPolicies", &p.attached, |b, (name, arn)| {
        b.text("PolicyName", name).text("PolicyArn", arn);
    });
}

fn authorization_details(env: &Env<'_>) -> Result<XmlResponse, AwsError> {
    env.authorize("iam:GetAccountAuthorizationDetails", "*")?;
    let wanted: Vec<&str> = env.params.list("Filter")?;
    let has = |f: &str| wanted.is_empty() || wanted.contains(&f);
    let filter = Filter {
        users: has("User"),
        groups: has("Group"),
        roles: has("Role"),
        local_policies: has("LocalManagedPolicy"),
        aws_policies: has("AWSManagedPolicy"),
    };
    let d = details::collect(env.ctx(), env.account(), filter, &page(env)?)?;
    let mut r = response("GetAccountAuthorizationDetails");
    let mut b = r.body();
    b.list("UserDetailList", &d.users, |b, u| {
        write::user(b, &u.user);
        b.text_list("GroupList", &u.groups);
        write_entity_policies(b, "UserPolicyList", &u.policies);
    });
    b.list("GroupDetailList", &d.groups, |b, g| {
        write::group(b, &g.group);
        write_entity_policies(b, "GroupPolicyList", &g.policies);
    });
    b.list("RoleDetailList", &d.roles, |b, r| {
        write::role(b, &r.role, true);
        b.list("InstanceProfileList", &r.profiles, write_profile);
        write_entity_policies(b, "RolePolicyList", &r.policies);
    });
    b.list("Policies", &d.policies, |b, p| {
        write::policy(b, &p.policy, true);
        b.list("PolicyVersionList", &p.versions, |b, v| {
            write::policy_version(
                b,
                v,
                v.version_id == p.policy.policy.default_version_id,
                true,
            );
        });
    });
    b.bool("IsTruncated", d.marker.is_some())
        .opt_text("Marker", d.marker.as_deref());
    Ok(r)
}
