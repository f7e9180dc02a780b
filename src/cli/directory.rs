//! `keyward directory ...`: an account's directories (Active Directory, OpenLDAP), against the
//! store directly (a running server uses a change from the next sign-in). Changes are audited
//! with the actor `keyward-cli`. The service account's password is read from a file (or
//! standard input with `-`), never from the command line.

use super::{call, context};
use crate::config::StoreArgs;
use crate::iam::directories::{self, Directory, Registration};
use crate::secrets::SecretString;
use clap::{Args, Subcommand};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Subcommand, Debug)]
pub enum DirectoryCommand {
    /// Register a directory.
    Create(DirectoryArgs),
    /// Change a directory: each option given replaces what is stored (--attribute as a whole
    /// list).
    Update(DirectoryArgs),
    /// List an account's directories.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove a directory (with its people's Keyward MFA devices).
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: String,
        name: String,
    },
    /// Remove a directory user's Keyward MFA devices (a lost phone): they enrol a new one at
    /// their next sign-in.
    ResetMfa {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: String,
        name: String,
        /// The user's DN, as the audit trail of their sign-ins gives it
        #[arg(long)]
        user_dn: String,
    },
}

#[derive(Args, Debug)]
pub struct DirectoryArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    account: String,
    /// The directory's name (its ARN is arn:aws:iam::<account>:directory/<name>)
    name: String,
    /// ldaps://host[:port], or ldap://host[:port] (StartTLS)
    #[arg(long)]
    url: Option<String>,
    /// ldaps, starttls, or none (plain LDAP: a test setting) [default: from the URL]
    #[arg(long)]
    tls: Option<String>,
    /// A PEM file with the CA certificate(s) to trust [default: the system roots]
    #[arg(long)]
    ca_file: Option<std::path::PathBuf>,
    /// The service account that searches (a DN, or user@domain on Active Directory)
    #[arg(long)]
    bind_dn: Option<String>,
    /// A file holding the service account's password (`-`: standard input)
    #[arg(long)]
    bind_password_file: Option<std::path::PathBuf>,
    /// Where people and groups are searched
    #[arg(long)]
    base_dn: Option<String>,
    /// The attribute a user name is matched against [default: sAMAccountName]
    #[arg(long)]
    user_attribute: Option<String>,
    /// What else a person's entry matches [default: (objectClass=user)]
    #[arg(long)]
    user_filter: Option<String>,
    /// nested (Active Directory's in-chain membership) or member [default: nested]
    #[arg(long)]
    groups: Option<String>,
    /// A mapped attribute, KEY=attribute: the trust key ldap:KEY and a session tag (repeat)
    #[arg(long = "attribute")]
    attributes: Vec<String>,
    /// Require Keyward MFA on top of the directory password for console sign-ins
    #[arg(long)]
    require_mfa: Option<bool>,
    /// Seconds each directory call may take (1 to 30) [default: 5]
    #[arg(long)]
    timeout_seconds: Option<i32>,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

fn registration(args: &DirectoryArgs) -> anyhow::Result<Registration> {
    let attributes = if args.attributes.is_empty() {
        None
    } else {
        let mut map = BTreeMap::new();
        for line in &args.attributes {
            let (key, attribute) = line
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--attribute {line}: write KEY=attribute"))?;
            map.insert(key.trim().to_string(), attribute.trim().to_string());
        }
        Some(map)
    };
    let password = args
        .bind_password_file
        .as_deref()
        .map(super::read_text)
        .transpose()?
        .map(|t| SecretString::from(t.trim_end_matches(['\r', '\n']).to_string()));
    Ok(Registration {
        url: args.url.clone(),
        tls_mode: args.tls.clone(),
        ca_certificate: args.ca_file.as_deref().map(super::read_text).transpose()?,
        bind_dn: args.bind_dn.clone(),
        bind_password: password,
        base_dn: args.base_dn.clone(),
        user_attribute: args.user_attribute.clone(),
        user_filter: args.user_filter.clone(),
        group_mode: args.groups.clone(),
        attributes,
        require_mfa: args.require_mfa,
        timeout_seconds: args.timeout_seconds,
    })
}

fn print(d: &Directory, json: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if json {
        return writeln!(out, "{}", d.to_json());
    }
    writeln!(out, "name:           {}", d.name)?;
    writeln!(out, "arn:            {}", d.arn())?;
    writeln!(out, "url:            {} ({})", d.url, d.tls_mode.name())?;
    writeln!(out, "bind DN:        {}", d.bind_dn)?;
    writeln!(out, "base DN:        {}", d.base_dn)?;
    writeln!(
        out,
        "people:         {}=<user name> in {}",
        d.user_attribute, d.user_filter
    )?;
    writeln!(out, "groups:         {}", d.group_mode.name())?;
    for (key, attribute) in &d.attributes {
        writeln!(out, "attribute:      {key}={attribute}")?;
    }
    writeln!(out, "require MFA:    {}", d.require_mfa)
}

pub fn run(cmd: DirectoryCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        DirectoryCommand::Create(args) => {
            let registration = registration(&args)?;
            let ctx = context(args.store)?;
            let d = directories::create(&ctx, &call(&args.account), &args.name, &registration)?;
            print(&d, args.json, out)?;
        }
        DirectoryCommand::Update(args) => {
            let registration = registration(&args)?;
            let ctx = context(args.store)?;
            let d = directories::update(&ctx, &call(&args.account), &args.name, &registration)?;
            print(&d, args.json, out)?;
        }
        DirectoryCommand::List {
            store,
            account,
            json,
        } => {
            let ctx = context(store)?;
            let all = directories::list(&ctx, &account)?;
            if json {
                let v = json!({ "directories": all.iter().map(Directory::to_json).collect::<Vec<_>>() });
                writeln!(out, "{v}")?;
            } else {
                for d in &all {
                    print(d, false, out)?;
                    writeln!(out)?;
                }
            }
        }
        DirectoryCommand::Delete {
            store,
            account,
            name,
        } => {
            let ctx = context(store)?;
            directories::delete(&ctx, &call(&account), &name)?;
            writeln!(out, "deleted {name}")?;
        }
        DirectoryCommand::ResetMfa {
            store,
            account,
            name,
            user_dn,
        } => {
            let ctx = context(store)?;
            for serial in directories::reset_mfa(&ctx, &call(&account), &name, &user_dn)? {
                writeln!(out, "removed {serial}")?;
            }
        }
    }
    Ok(())
}
