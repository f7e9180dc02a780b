//! `keyward signin-provider ...`: the external OpenID Connect providers an account's people
//! sign in to the console through, against the store directly (a running server sees the
//! change at the next sign-in). Changes are audited with the actor `keyward-cli`. The client
//! secret is read from a file (or standard input with `-`), never from the command line, where
//! other users of the machine could see it.

use super::{call, context};
use crate::config::StoreArgs;
use crate::federation::rules::RoleRule;
use crate::iam::signin_providers::{self, Registration, SigninProvider};
use crate::secrets::SecretString;
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::Write;

#[derive(Subcommand, Debug)]
pub enum SigninProviderCommand {
    /// Register a provider (the account must have an IAM OpenID Connect provider with the same
    /// issuer: roles trust it, and its thumbprints say which certificate the issuer shows).
    Create(ProviderArgs),
    /// Change a provider: each option given replaces what is stored (--rule as a whole list).
    Update(ProviderArgs),
    /// List an account's providers.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove a provider.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: String,
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct ProviderArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    account: String,
    /// The provider's name, shown as "Sign in with NAME"
    name: String,
    /// The issuer, as its ID tokens name it (https://...)
    #[arg(long)]
    issuer: Option<String>,
    /// The client id Keyward was registered with at the provider
    #[arg(long)]
    client_id: Option<String>,
    /// A file holding the client secret (`-`: standard input)
    #[arg(long)]
    client_secret_file: Option<std::path::PathBuf>,
    /// The scopes asked for, space-separated [default: openid profile email]
    #[arg(long)]
    scopes: Option<String>,
    /// The claim that names the person [default: preferred_username]
    #[arg(long)]
    username_claim: Option<String>,
    /// A role rule: "CLAIM contains VALUE => ROLE" or "CLAIM equals VALUE => ROLE" (repeat)
    #[arg(long = "rule")]
    rules: Vec<String>,
    /// Remove every rule
    #[arg(long, conflicts_with = "rules")]
    no_rules: bool,
    /// Whether the provider's `amr` holding `mfa` counts as MFA (true or false)
    #[arg(long)]
    trusted_for_mfa: Option<bool>,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

fn registration(args: &ProviderArgs) -> anyhow::Result<Registration> {
    let rules = if args.no_rules {
        Some(Vec::new())
    } else if args.rules.is_empty() {
        None
    } else {
        Some(RoleRule::parse_lines(&args.rules.join("\n"))?)
    };
    Ok(Registration {
        issuer: args.issuer.clone(),
        client_id: args.client_id.clone(),
        client_secret: args
            .client_secret_file
            .as_deref()
            .map(super::read_text)
            .transpose()?
            .map(|t| SecretString::from(t.trim_end_matches(['\r', '\n']).to_string())),
        scopes: args.scopes.clone(),
        username_claim: args.username_claim.clone(),
        rules,
        trusted_for_mfa: args.trusted_for_mfa,
    })
}

fn print(p: &SigninProvider, json: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if json {
        return writeln!(out, "{}", p.to_json());
    }
    writeln!(out, "name:           {}", p.name)?;
    writeln!(out, "issuer:         {}", p.issuer)?;
    writeln!(out, "client_id:      {}", p.client_id)?;
    writeln!(out, "scopes:         {}", p.scopes.join(" "))?;
    writeln!(out, "user name:      {}", p.username_claim)?;
    writeln!(out, "trusted MFA:    {}", p.trusted_for_mfa)?;
    for rule in &p.rules {
        writeln!(out, "rule:           {rule}")?;
    }
    Ok(())
}

pub fn run(cmd: SigninProviderCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        SigninProviderCommand::Create(args) => {
            let registration = registration(&args)?;
            let ctx = context(args.store)?;
            let p =
                signin_providers::create(&ctx, &call(&args.account), &args.name, &registration)?;
            print(&p, args.json, out)?;
        }
        SigninProviderCommand::Update(args) => {
            let registration = registration(&args)?;
            let ctx = context(args.store)?;
            let p =
                signin_providers::update(&ctx, &call(&args.account), &args.name, &registration)?;
            print(&p, args.json, out)?;
        }
        SigninProviderCommand::List {
            store,
            account,
            json,
        } => {
            let ctx = context(store)?;
            let all = signin_providers::list(&ctx, &account)?;
            if json {
                let v = json!({ "providers": all.iter().map(SigninProvider::to_json).collect::<Vec<_>>() });
                writeln!(out, "{v}")?;
            } else {
                for p in &all {
                    print(p, false, out)?;
                    writeln!(out)?;
                }
            }
        }
        SigninProviderCommand::Delete {
            store,
            account,
            name,
        } => {
            let ctx = context(store)?;
            signin_providers::delete(&ctx, &call(&account), &name)?;
            writeln!(out, "deleted {name}")?;
        }
    }
    Ok(())
}
