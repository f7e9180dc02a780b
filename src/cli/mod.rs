//! The command line: `keyward serve`, `keyward migrate`, `keyward policy ...`, `keyward oidc
//! ...`, `keyward signin-provider ...`,
//! `keyward directory ...`.

pub mod directory;
pub mod oidc;
pub mod password_speed;
pub mod policy;
pub mod signin_provider;

use crate::config::{ServeArgs, StoreArgs};
use clap::{Parser, Subcommand};

/// Keyward: an identity provider with AWS-compatible IAM and STS.
///
/// Every setting can also be given as a KEYWARD_* environment variable (shown with each flag)
/// or in a TOML file named by --config; flags win over variables, variables over the file.
#[derive(Parser, Debug)]
#[command(name = "keyward", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (bootstraps a new store on first start).
    Serve(ServeArgs),
    /// Apply, list or revert database migrations.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// OpenID Connect: clients (relying parties) and signing keys.
    #[command(subcommand)]
    Oidc(oidc::OidcCommand),
    /// Directories (Active Directory, OpenLDAP) whose people sign in with their directory
    /// password.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// Sign-in providers: external OpenID Connect providers people sign in to the console
    /// through.
    #[command(subcommand)]
    SigninProvider(signin_provider::SigninProviderCommand),
    /// Validate policy documents and simulate decisions, without a server.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Measure argon2id password checks per second with Keyward's parameters (the ceiling on
    /// password sign-ins per second, for sizing).
    PasswordSpeed {
        /// Threads to measure on [default: number of CPUs]
        #[arg(long)]
        threads: Option<usize>,
        /// How long to measure, in seconds
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug, Clone, Copy)]
pub enum MigrateAction {
    /// Apply pending migrations (the default).
    Up,
    /// List migrations not applied yet.
    Status,
    /// Revert every migration, dropping all data.
    RevertAll {
        /// Confirm that all data may be dropped.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create another account with its own root user and administrator; its AWS credentials
    /// and config files are written to <data dir>/accounts/<account id>/.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// URL of the Keyward server, for the endpoint_url in the generated config
        #[arg(
            long,
            env = "KEYWARD_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: url::Url,
        /// Region for the generated config
        #[arg(long, env = "KEYWARD_REGION", default_value = "us-east-1")]
        region: String,
    },
}

/// Who changes made from the command line are audited as, in `account`.
pub(crate) fn call(account: &str) -> crate::iam::Call {
    crate::iam::Call {
        account_id: account.to_string(),
        actor_arn: "keyward-cli".to_string(),
        meta: crate::audit::RequestMeta::default(),
    }
}

/// The services' context over the store `store` names.
pub(crate) fn context(store: StoreArgs) -> anyhow::Result<crate::context::ServiceContext> {
    let (settings, _) = store.resolve()?;
    Ok(crate::app::service_context(&settings)?)
}

/// A file's text (`-`: standard input), for secrets that must not be on the command line.
pub(crate) fn read_text(path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    /// Every variable a command's flag reads is known: none is reported as a typo while it is
    /// used (KEYWARD_ALLOW_PLAIN_LDAP once was).
    #[test]
    fn every_variable_a_flag_reads_is_known() {
        fn walk(cmd: &clap::Command, found: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                if let Some(env) = arg.get_env() {
                    found.push(env.to_string_lossy().into_owned());
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, found);
            }
        }
        let mut found = Vec::new();
        walk(&<super::Cli as clap::CommandFactory>::command(), &mut found);
        assert!(found.iter().any(|v| v == "KEYWARD_LISTEN"));
        let unknown = crate::config::unknown_env_vars(found.into_iter());
        assert!(unknown.is_empty(), "read but reported unknown: {unknown:?}");
    }
}
