use clap::Parser;
use keyward::cli::{AccountCommand, Cli, Command, MigrateAction};
use keyward::config::{self, LogFormat};
use keyward::storage::{migrations, Store};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc serves the many small allocations of request handling (headers, XML, JSON) with
/// far less time in the allocator than the system's malloc (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logging(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let terminal = std::io::stderr().is_terminal();
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Pretty => builder.pretty().init(),
        LogFormat::Auto if terminal => builder.pretty().init(),
        LogFormat::Auto => builder.with_ansi(false).compact().init(),
    }
    for name in
        config::unknown_env_vars(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))
    {
        tracing::warn!(variable = %name, "unknown KEYWARD_* environment variable ignored");
    }
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    eprintln!("keyward: error: {error}");
    ExitCode::FAILURE
}

fn serve(args: keyward::config::ServeArgs) -> ExitCode {
    let settings = match args.resolve() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    init_logging(settings.log_format, &settings.log_filter);
    match actix_web::rt::System::new().block_on(keyward::app::serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn migrate(store: keyward::config::StoreArgs, action: MigrateAction) -> ExitCode {
    let settings = match store.resolve() {
        Ok((s, _)) => s,
        Err(e) => return fail(e),
    };
    init_logging(LogFormat::Auto, "warn");
    if let Err(e) = keyward::app::prepare_data_dir(&settings.data_dir) {
        return fail(e);
    }
    let result = Store::open(&settings).and_then(|store| {
        let mut conn = store.connection()?;
        match action {
            MigrateAction::Up => migrations::run_pending(&mut conn).map(|v| ("applied", v)),
            MigrateAction::Status => migrations::pending(&mut conn).map(|v| ("pending", v)),
            MigrateAction::RevertAll { yes: false } => {
                Err(keyward::storage::StorageError::Migration(
                    "revert-all drops every table; pass --yes to confirm".into(),
                ))
            }
            MigrateAction::RevertAll { yes: true } => {
                migrations::revert_all(&mut conn).map(|v| ("reverted", v))
            }
        }
    });
    match result {
        Ok((what, versions)) => {
            println!(
                "{what}: {}",
                if versions.is_empty() {
                    "none".to_string()
                } else {
                    versions.join(", ")
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn account(cmd: AccountCommand) -> ExitCode {
    let AccountCommand::Create {
        store,
        public_url,
        region,
    } = cmd;
    let settings = match store.resolve() {
        Ok((s, _)) => s,
        Err(e) => return fail(e),
    };
    init_logging(LogFormat::Auto, "warn");
    let ctx = match keyward::app::service_context(&settings) {
        Ok(ctx) => ctx,
        Err(e) => return fail(e),
    };
    let mut dir = std::path::PathBuf::new();
    let created = keyward::iam::bootstrap::create_account(&ctx, |created| {
        dir = settings
            .data_dir
            .join("accounts")
            .join(created.account_id.as_str());
        std::fs::create_dir_all(&dir)?;
        keyward::app::write_credentials(&dir.join("credentials"), created)?;
        keyward::app::write_aws_config(&dir.join("config"), &region, &public_url)
    });
    match created {
        Ok(created) => {
            use keyward::secrets::ExposeSecret;
            println!("account:           {}", created.account_id);
            println!("root login:        {}", created.root_login);
            println!(
                "root password:     {}",
                created.root_password.expose_secret()
            );
            println!(
                "admin access key:  {} (secret in {})",
                created.access_key_id,
                dir.join("credentials").display()
            );
            println!("admin config:      {}", dir.join("config").display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn password_speed(threads: Option<usize>, seconds: f64, json: bool) -> ExitCode {
    use keyward::cli::password_speed;
    let threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let duration = std::time::Duration::from_secs_f64(seconds.clamp(0.1, 600.0));
    match password_speed::measure(threads, duration) {
        Ok(speed) => {
            println!("{}", password_speed::report(&speed, json));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Account(cmd) => account(cmd),
        Command::Migrate { store, action } => migrate(store, action.unwrap_or(MigrateAction::Up)),
        Command::Oidc(cmd) => {
            init_logging(LogFormat::Auto, "warn");
            match keyward::cli::oidc::run(cmd, &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        Command::Directory(cmd) => {
            init_logging(LogFormat::Auto, "warn");
            match keyward::cli::directory::run(cmd, &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        Command::SigninProvider(cmd) => {
            init_logging(LogFormat::Auto, "warn");
            match keyward::cli::signin_provider::run(cmd, &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        Command::Policy(cmd) => match keyward::cli::policy::run(cmd, &mut std::io::stdout()) {
            Ok(code) => code,
            Err(e) => fail(e),
        },
        Command::PasswordSpeed {
            threads,
            seconds,
            json,
        } => password_speed(threads, seconds, json),
    }
}
