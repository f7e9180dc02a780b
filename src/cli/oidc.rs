//! `keyward oidc ...`: OpenID Connect clients and signing keys, against the store directly
//! (the server need not run; a running server sees the change within seconds). Changes are
//! audited with the actor `keyward-cli`.

use super::{call, context};
use crate::config::StoreArgs;
use crate::oidc::clients::{self, AuthMethod, Client, ClientChange, GrantType, NewClient};
use crate::oidc::keys::{self, Algorithm};
use crate::secrets::{ExposeSecret, SecretString};
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::Write;

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum OidcCommand {
    /// Manage relying parties.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Make new signing keys: published now, signing after a day (so that relying parties
    /// that cache the JWKS see them first), or at once with --now. Old keys stay published
    /// until every token they signed has expired.
    RotateKeys {
        #[command(flatten)]
        store: StoreArgs,
        /// Sign with the new keys at once (when an old key must stop signing now)
        #[arg(long)]
        now: bool,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; prints its id and, for confidential clients, its secret (shown
    /// only now).
    Create(CreateArgs),
    /// List an account's clients.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// The account whose clients to list
        #[arg(long)]
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a client's registration: each option given replaces what is stored (the
    /// repeated ones as a whole list); the id, the authentication method and the secret stay.
    Update(UpdateArgs),
    /// Give a confidential client a new secret (printed only now). The old secret keeps
    /// working for the grace period, so that the application can be redeployed with the new
    /// one; 0 ends it at once.
    RotateSecret {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: String,
        /// The client id
        client_id: String,
        /// How long the old secret keeps working, in seconds (at most 30 days)
        #[arg(long)]
        grace_period_seconds: i64,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Delete a client with its consents and tokens.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: String,
        /// The client id
        client_id: String,
    },
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The account the client belongs to (its users are the ones who can sign in)
    #[arg(long)]
    account: String,
    /// Name shown on the consent page
    #[arg(long)]
    name: String,
    /// Redirect URI (repeat for several); exact match at sign-in
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the browser (repeat for several)
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// authorization_code, refresh_token or client_credentials (repeat for several)
    /// [default: authorization_code and refresh_token]
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Allowed scope (repeat for several) [default: openid profile email groups, and
    /// offline_access with refresh_token]
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// client_secret_basic, client_secret_post, private_key_jwt or none (a public client,
    /// which must use PKCE) [default: client_secret_basic]
    #[arg(long)]
    auth_method: Option<String>,
    /// File with the client's public keys (a JWKS), for private_key_jwt
    #[arg(long)]
    jwks: Option<std::path::PathBuf>,
    /// RS256, ES256 or EdDSA, for ID tokens and access tokens [default: RS256]
    #[arg(long)]
    signing_alg: Option<String>,
    /// Access token lifetime in seconds [default: 3600]
    #[arg(long)]
    access_token_lifetime: Option<i64>,
    /// ID token lifetime in seconds [default: 3600]
    #[arg(long)]
    id_token_lifetime: Option<i64>,
    /// Refresh token lifetime with offline_access, in seconds [default: 30 days]
    #[arg(long)]
    refresh_token_lifetime: Option<i64>,
    /// Sign users in without asking for their consent (for the organisation's own apps)
    #[arg(long)]
    no_consent: bool,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    account: String,
    /// The client id
    client_id: String,
    /// Name shown on the consent page
    #[arg(long)]
    name: Option<String>,
    /// Redirect URI (repeat for several): the whole new list
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Sign-out redirect URI (repeat for several): the whole new list
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Remove every sign-out redirect URI
    #[arg(long, conflicts_with = "post_logout_redirect_uris")]
    no_post_logout_redirect_uris: bool,
    /// Grant type (repeat for several): the whole new list
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Allowed scope (repeat for several): the whole new list
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// File with the client's new public keys (a JWKS), for private_key_jwt
    #[arg(long)]
    jwks: Option<std::path::PathBuf>,
    /// RS256, ES256 or EdDSA
    #[arg(long)]
    signing_alg: Option<String>,
    /// Access token lifetime in seconds
    #[arg(long)]
    access_token_lifetime: Option<i64>,
    /// ID token lifetime in seconds
    #[arg(long)]
    id_token_lifetime: Option<i64>,
    /// Refresh token lifetime in seconds
    #[arg(long)]
    refresh_token_lifetime: Option<i64>,
    /// Ask users for consent (true) or not (false)
    #[arg(long)]
    consent: Option<bool>,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

fn grant_types(names: &[String]) -> anyhow::Result<Vec<GrantType>> {
    names
        .iter()
        .map(|g| GrantType::parse(g).ok_or_else(|| anyhow::anyhow!("unknown grant type {g}")))
        .collect()
}

fn algorithm(name: Option<&str>) -> anyhow::Result<Option<Algorithm>> {
    name.map(|a| {
        Algorithm::parse(a).ok_or_else(|| anyhow::anyhow!("unsupported signing algorithm {a}"))
    })
    .transpose()
}

fn read_jwks(path: Option<&std::path::PathBuf>) -> anyhow::Result<Option<String>> {
    path.map(|path| {
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    })
    .transpose()
}

/// A repeated option: given, it is the whole new list.
fn list_option(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

fn change(args: &UpdateArgs) -> anyhow::Result<ClientChange> {
    Ok(ClientChange {
        name: args.name.clone(),
        jwks: read_jwks(args.jwks.as_ref())?,
        redirect_uris: list_option(&args.redirect_uris),
        post_logout_redirect_uris: if args.no_post_logout_redirect_uris {
            Some(Vec::new())
        } else {
            list_option(&args.post_logout_redirect_uris)
        },
        grant_types: list_option(&args.grant_types)
            .map(|names| grant_types(&names))
            .transpose()?,
        scopes: list_option(&args.scopes),
        signing_alg: algorithm(args.signing_alg.as_deref())?,
        access_token_lifetime: args.access_token_lifetime,
        id_token_lifetime: args.id_token_lifetime,
        refresh_token_lifetime: args.refresh_token_lifetime,
        consent_required: args.consent,
    })
}

fn new_client(args: &CreateArgs) -> anyhow::Result<NewClient> {
    let grant_types = grant_types(&args.grant_types)?;
    let auth_method = args
        .auth_method
        .as_deref()
        .map(|m| AuthMethod::parse(m).ok_or_else(|| anyhow::anyhow!("unknown auth method {m}")))
        .transpose()?;
    let signing_alg = algorithm(args.signing_alg.as_deref())?;
    let jwks = read_jwks(args.jwks.as_ref())?;
    Ok(NewClient {
        name: args.name.clone(),
        auth_method,
        jwks,
        redirect_uris: args.redirect_uris.clone(),
        post_logout_redirect_uris: args.post_logout_redirect_uris.clone(),
        grant_types,
        scopes: args.scopes.clone(),
        signing_alg,
        access_token_lifetime: args.access_token_lifetime,
        id_token_lifetime: args.id_token_lifetime,
        refresh_token_lifetime: args.refresh_token_lifetime,
        consent_required: Some(!args.no_consent),
    })
}

fn describe(client: &Client, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "client_id:      {}", client.client_id)?;
    writeln!(out, "name:           {}", client.name)?;
    writeln!(out, "auth method:    {}", client.auth_method.name())?;
    let grants: Vec<&str> = client.grant_types.iter().map(|g| g.name()).collect();
    writeln!(out, "grant types:    {}", grants.join(" "))?;
    writeln!(out, "scopes:         {}", client.scopes.join(" "))?;
    writeln!(out, "signing alg:    {}", client.signing_alg.name())?;
    for uri in &client.redirect_uris {
        writeln!(out, "redirect URI:   {uri}")?;
    }
    writeln!(
        out,
        "lifetimes:      access {} s, ID {} s, refresh {} s",
        client.access_token_lifetime, client.id_token_lifetime, client.refresh_token_lifetime
    )?;
    Ok(())
}

/// A client, as JSON or in words, with a secret that is shown only now.
fn print(
    client: &Client,
    secret: Option<&SecretString>,
    json: bool,
    now: chrono::NaiveDateTime,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if json {
        let mut v = client.to_json(now);
        if let Some(secret) = secret {
            v["client_secret"] = secret.expose_secret().into();
        }
        return writeln!(out, "{v}");
    }
    describe(client, out)?;
    if let Some(secret) = secret {
        writeln!(
            out,
            "client_secret:  {} (shown only now)",
            secret.expose_secret()
        )?;
    }
    if let Some(until) = client.previous_secret_valid_until(now) {
        writeln!(
            out,
            "old secret:     accepted until {}",
            until.and_utc().to_rfc3339()
        )?;
    }
    Ok(())
}

pub fn run(cmd: OidcCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        OidcCommand::RotateKeys { store, now } => {
            let ctx = context(store)?;
            keys::maintain(&ctx)?;
            for (kid, algorithm, from) in keys::rotate(&ctx, now)? {
                writeln!(
                    out,
                    "{:<6} {kid}  signs from {}",
                    algorithm.name(),
                    from.and_utc().to_rfc3339()
                )?;
            }
        }
        OidcCommand::Client(ClientCommand::Create(args)) => {
            let new = new_client(&args)?;
            let ctx = context(args.store)?;
            let (client, secret) = clients::create(&ctx, &call(&args.account), &new)?;
            print(
                &client,
                secret.as_ref(),
                args.json,
                ctx.clock.now_naive(),
                out,
            )?;
        }
        OidcCommand::Client(ClientCommand::Update(args)) => {
            let change = change(&args)?;
            let ctx = context(args.store)?;
            let client = clients::update(&ctx, &call(&args.account), &args.client_id, &change)?;
            print(&client, None, args.json, ctx.clock.now_naive(), out)?;
        }
        OidcCommand::Client(ClientCommand::RotateSecret {
            store,
            account,
            client_id,
            grace_period_seconds,
            json,
        }) => {
            let ctx = context(store)?;
            let grace = chrono::Duration::try_seconds(grace_period_seconds)
                .unwrap_or(chrono::Duration::MAX);
            let (client, secret) =
                clients::rotate_secret(&ctx, &call(&account), &client_id, grace)?;
            print(&client, Some(&secret), json, ctx.clock.now_naive(), out)?;
        }
        OidcCommand::Client(ClientCommand::List {
            store,
            account,
            json,
        }) => {
            let ctx = context(store)?;
            let all = clients::list(&ctx, &account)?;
            let now = ctx.clock.now_naive();
            if json {
                let v =
                    json!({ "clients": all.iter().map(|c| c.to_json(now)).collect::<Vec<_>>() });
                writeln!(out, "{v}")?;
            } else {
                for client in &all {
                    describe(client, out)?;
                    writeln!(out)?;
                }
            }
        }
        OidcCommand::Client(ClientCommand::Delete {
            store,
            account,
            client_id,
        }) => {
            let ctx = context(store)?;
            clients::delete(&ctx, &call(&account), &client_id)?;
            writeln!(out, "deleted {client_id}")?;
        }
    }
    Ok(())
}
