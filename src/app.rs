//! Composition root: settings -> data directory, master key, store, migrations, bootstrap ->
//! services and app state -> HTTP server. Nothing below this module reads settings.

use crate::clock::{SharedClock, SharedRandom, SystemClock, SystemRandom};
use crate::config::{Settings, StoreSettings};
use crate::context::ServiceContext;
use crate::iam::bootstrap::{self, Created, Outcome};
use crate::iam::IamError;
use crate::secrets::{write_private_file, ExposeSecret, MasterKey, MasterKeyError};
use crate::storage::{migrations, StorageError, Store};
use crate::{http, routes};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("bootstrap failed: {0}")]
    Bootstrap(#[from] IamError),
    #[error("cannot write {0}: {1}")]
    Export(PathBuf, std::io::Error),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("invalid public URL: {0}")]
    PublicUrl(String),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("server: {0}")]
    Server(std::io::Error),
    #[error("cannot start the password threads: {0}")]
    Threads(std::io::Error),
    #[error(transparent)]
    Tls(#[from] http::tls::TlsError),
}

/// Creates the data directory (owner-only) if needed.
pub fn prepare_data_dir(dir: &Path) -> Result<(), StartError> {
    std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.to_path_buf(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// The master key from the settings, or from (or newly into) `<data dir>/master.key`.
pub fn master_key(
    settings: &StoreSettings,
    random: &SharedRandom,
) -> Result<MasterKey, StartError> {
    match &settings.master_key {
        Some(text) => Ok(MasterKey::from_base64(text)?),
        None => {
            let path = settings.data_dir.join("master.key");
            let (key, created) = MasterKey::load_or_create(&path, random.as_ref())?;
            if created {
                tracing::info!(path = %path.display(), "generated a new master key");
            }
            Ok(key)
        }
    }
}

/// Opens the store, applies pending migrations and binds the trust policies of roles saved
/// before trust principals were kept by id.
pub fn open_store(settings: &StoreSettings) -> Result<Store, StartError> {
    let store = Store::open(settings)?;
    let mut conn = store.connection()?;
    let applied = migrations::run_pending(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied migrations");
    }
    // Trust policies saved before their principals' ids were kept are bound once, now.
    drop(conn);
    let bound = store.write(crate::iam::trust_principals::bind_unbound)?;
    if bound > 0 {
        tracing::info!(
            roles = bound,
            "bound the principals of stored trust policies to their ids"
        );
    }
    Ok(store)
}

/// The services' context for the store the settings name: data directory, master key, store
/// with migrations applied, the system clock and randomness, default quotas.
pub fn service_context(settings: &StoreSettings) -> Result<ServiceContext, StartError> {
    let random: SharedRandom = Arc::new(SystemRandom);
    prepare_data_dir(&settings.data_dir)?;
    let master_key = Arc::new(master_key(settings, &random)?);
    let store = open_store(settings)?;
    let clock: SharedClock = Arc::new(SystemClock);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    // Room for a few seconds of hashes per thread; beyond that, "busy, try again".
    let hashing = crate::auth::hash_pool::HashPool::start(threads, threads * 32)
        .map_err(StartError::Threads)?;
    Ok(ServiceContext {
        hashing: Arc::new(hashing),
        store,
        sessions: Arc::new(crate::credentials::TokenSealer::new(master_key.clone())),
        master_key,
        clock,
        random,
        limits: Arc::new(crate::config::limits::Limits::default()),
        web_identity: Arc::default(),
        iam_epoch: Arc::default(),
    })
}

/// Writes the admin's access key as AWS shared credentials, profile `keyward` (mode 0600).
pub fn write_credentials(path: &Path, created: &Created) -> std::io::Result<()> {
    let text = format!(
        "# Written by Keyward's first start for the IAM user admin. Keep it secret.\n\
         [keyward]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        created.access_key_id,
        created.secret_access_key.expose_secret()
    );
    write_private_file(path, text.as_bytes(), false)
}

/// Writes the AWS config profile `keyward` pointing at this server. Rewritten at every start,
/// so it follows the public URL.
pub fn write_aws_config(path: &Path, region: &str, endpoint: &Url) -> std::io::Result<()> {
    let endpoint = endpoint.as_str().trim_end_matches('/');
    let text = format!(
        "# Written by Keyward at every start; edits are overwritten.\n\
         [profile keyward]\nregion = {region}\nendpoint_url = {endpoint}\n"
    );
    write_private_file(path, text.as_bytes(), false)
}

fn print_banner(
    bound: SocketAddr,
    public_url: &Url,
    outcome: &Outcome,
    credentials: &Path,
    settings: &Settings,
    store: &Store,
) {
    let base = public_url.as_str().trim_end_matches('/');
    let account = outcome.account_id();
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!("Keyward is listening on {scheme}://{bound}");
    if base != format!("{scheme}://{bound}") {
        println!("  public URL:       {base}");
    }
    println!("  store:            {}", store.description());
    println!("  account:          {account}");
    println!("  console sign-in:  {base}/signin/{account}");
    println!("  OpenID issuer:    {base}");
    println!(
        "  admin credentials: {} (profile keyward; config {})",
        credentials.display(),
        settings.store.data_dir.join("config").display()
    );
    if let Outcome::Created(created) = outcome {
        println!();
        println!(
            "First start: the account's root user was created. Its password is shown only now;"
        );
        println!("it must be changed at the first sign-in.");
        println!("  root login:       {}", created.root_login);
        println!(
            "  root password:    {}",
            created.root_password.expose_secret()
        );
        println!(
            "  admin access key: {} (secret in the credentials file)",
            created.access_key_id
        );
    }
}

/// Starts Keyward and serves until SIGTERM or SIGINT.
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    let store_settings = settings.store.clone();
    let mut ctx = web::block(move || service_context(&store_settings))
        .await
        .map_err(|e| StartError::Server(std::io::Error::other(e)))??;
    ctx.limits = Arc::new(crate::config::limits::Limits {
        users_per_account: settings.users_per_account,
        ..crate::config::limits::Limits::default()
    });
    ctx.web_identity = Arc::new(settings.web_identity.clone());
    let store = ctx.store.clone();
    // Other instances on the same PostgreSQL announce their changes; the listener stops when
    // `_notices` is dropped at the end of serving.
    let invalidated = ctx.clone();
    let _notices = store
        .follow_changes(move || invalidated.invalidate())
        .map_err(StartError::Server)?;
    let audit_queue = Arc::new(
        crate::audit::AuditQueue::start(store.clone(), ctx.random.clone())
            .map_err(StartError::Server)?,
    );
    crate::audit::retention::start(
        store.clone(),
        ctx.clock.clone(),
        settings.audit_retention_days,
    )
    .map_err(StartError::Server)?;
    let metrics = http::metrics::Metrics::new(&store, &audit_queue)?;
    let aws_api = crate::aws_api::endpoint::AwsApi::new(
        ctx.clone(),
        settings.region.clone(),
        audit_queue.clone(),
    );
    if let Some(fetches) = aws_api.web_identity_providers.fetch_counter() {
        metrics.register(Box::new(fetches))?;
    }
    if let Some(operations) = aws_api.directories.operations_counter() {
        metrics.register(Box::new(operations))?;
    }

    let store_data = web::Data::new(store.clone());
    let metrics_data = web::Data::new(metrics);
    let aws_data = web::Data::new(aws_api);
    // Keyward serving https itself: its certificate, read again on SIGHUP.
    let tls = settings
        .tls
        .clone()
        .map(http::tls::Reloading::new)
        .transpose()?;
    let https = settings
        .public_url
        .as_ref()
        .map_or(tls.is_some(), |u| u.scheme() == "https");
    // One sign-in service under both web surfaces: the portal's pages and the OpenID
    // provider's authorization requests; its sign-outs end the provider's grants too.
    let signin = crate::signin::SigninService::new(
        ctx.clone(),
        audit_queue.clone(),
        crate::signin::sessions::Lifetimes {
            idle: chrono::Duration::seconds(to_i64(settings.session_idle_timeout)),
            absolute: chrono::Duration::seconds(to_i64(settings.session_max_lifetime)),
        },
        https,
    )
    .on_sign_out(crate::oidc::grants::end_with_sign_out);
    let signin_data = web::Data::new(signin);
    let portal_data = web::Data::new(crate::portal::Portal::with_signin(
        signin_data.clone(),
        settings.region.clone(),
    ));
    crate::sweep::start(portal_data.clone()).map_err(StartError::Server)?;
    let provider_data = web::Data::new(crate::oidc::Provider::new(
        ctx.clone(),
        audit_queue.clone(),
        signin_data.clone(),
        chrono::Duration::seconds(to_i64(settings.oidc_code_lifetime)),
    ));
    let https_data = web::Data::new(http::security_headers::ServedOverHttps(https));
    let proxies_data = web::Data::new(settings.trusted_proxies.clone());
    let signin_for_start = signin_data.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(store_data.clone())
            .app_data(metrics_data.clone())
            .app_data(aws_data.clone())
            .app_data(portal_data.clone())
            .app_data(provider_data.clone())
            .app_data(https_data.clone())
            .app_data(proxies_data.clone())
            .app_data(web::PayloadConfig::new(1 << 20))
            .configure(routes::configure)
            .default_service(web::to(crate::browser::not_found))
            .wrap(from_fn(http::metrics::middleware))
            .wrap(from_fn(http::request_id::middleware))
    })
    .workers(settings.workers)
    .shutdown_timeout(settings.shutdown_timeout);
    let server = match &tls {
        Some(certificates) => {
            let config = http::tls::server_config(certificates.clone())?;
            http::tls::reload_on_sighup(certificates.clone()).map_err(StartError::Server)?;
            server.bind_rustls_0_23(settings.listen, config)
        }
        None => server.bind(settings.listen),
    }
    .map_err(|e| StartError::Bind(settings.listen, e))?;

    let bound = server.addrs().first().copied().unwrap_or(settings.listen);
    let public_url = match &settings.public_url {
        Some(url) => url.clone(),
        None => default_public_url(bound, tls.is_some())?,
    };

    let credentials = settings.store.data_dir.join("credentials");
    let bootstrap_ctx = ctx.clone();
    let credentials_path = credentials.clone();
    let outcome = web::block(move || {
        bootstrap::ensure(&bootstrap_ctx, |created| {
            write_credentials(&credentials_path, created)
        })
    })
    .await
    .map_err(|e| StartError::Server(std::io::Error::other(e)))??;
    // The OpenID provider's signing keys: made at the first start (in the background: an RSA
    // key takes a moment, and nothing else waits for it), rotated when due.
    // Its statements are the background's, not a request's (`keyward_db_queries_total`): on a
    // busy machine the RSA key can take seconds and its writes land among the first requests.
    let keys_ctx = ctx.clone();
    std::thread::spawn(move || {
        crate::storage::connection::mark_background_thread();
        match crate::oidc::keys::maintain(&keys_ctx) {
            Ok(made) if !made.is_empty() => {
                tracing::info!(keys = ?made, "made OpenID Connect signing keys");
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot make OpenID Connect signing keys"),
        }
    });
    let config_path = settings.store.data_dir.join("config");
    write_aws_config(&config_path, &settings.region, &public_url)
        .map_err(|e| StartError::Export(config_path, e))?;

    let _ = signin_for_start
        .public_url
        .set(public_url.as_str().to_string());
    print_banner(
        bound,
        &public_url,
        &outcome,
        &credentials,
        &settings,
        &store,
    );
    tracing::info!(%bound, account = %outcome.account_id(), "serving");
    server.run().await.map_err(StartError::Server)?;
    // Store the audit events still queued before the process ends.
    signin_for_start.hashing.close();
    audit_queue.close();
    tracing::info!("stopped");
    Ok(())
}

fn to_i64(seconds: u64) -> i64 {
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

fn default_public_url(bound: SocketAddr, tls: bool) -> Result<Url, StartError> {
    let scheme = if tls { "https" } else { "http" };
    Url::parse(&format!("{scheme}://{bound}")).map_err(|e| StartError::PublicUrl(e.to_string()))
}
