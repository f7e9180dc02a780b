//! Connections to directories: TLS (LDAPS or StartTLS) trusting the directory's CA, timeouts
//! on connecting and on every operation, and two small pools per directory: connections bound
//! as the service account, for searches, and connections used only for people's binds (so a
//! sign-in costs one bind and two searches, and no rebind as the service account).
//!
//! Each pool is bounded: at most [`POOL_SIZE`] connections of a kind are open to a directory.
//! When all are in use, a sign-in waits for one to come back (at most the directory's timeout)
//! rather than opening another: a connection opened for one operation and closed after it
//! would cost the directory a TLS handshake and a service bind more, just when it is busiest.
//!
//! A pooled connection the server has closed fails its next operation; that operation is tried
//! once more on a new connection. A directory changed in IAM gets new pools (the key holds its
//! last change).

use super::{DirectoryError, SUBTREE};
use crate::iam::directories::{Directory, TlsMode};
use crate::secrets::{ExposeSecret, SecretString};
use ldap3::{LdapConn, LdapConnSettings, SearchEntry};
use prometheus::{IntCounterVec, Opts};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The most connections open to one directory, of each kind (service, people's binds).
pub const POOL_SIZE: usize = 4;

/// Why an LDAP operation failed.
#[derive(Debug)]
pub enum LdapFailure {
    /// The server answered and refused (a bind's result 49, "invalid credentials", ...).
    Refused(String),
    /// The server could not be reached, timed out, or the TLS handshake failed.
    Down(String),
}

/// The connections of one kind to one directory: the idle ones, and how many are open (idle or
/// lent).
#[derive(Default)]
struct Kind {
    idle: Vec<LdapConn>,
    open: usize,
}

#[derive(Default)]
struct Pool {
    service: Kind,
    binders: Kind,
}

impl Pool {
    fn kind(&mut self, service: bool) -> &mut Kind {
        if service {
            &mut self.service
        } else {
            &mut self.binders
        }
    }
}

/// A connection lent by a pool, or the right to open one (`conn` is `None`): given back with
/// [`Lease::give_back`], or closed when dropped, which frees its place.
struct Lease<'a> {
    connections: &'a Connections,
    key: String,
    service: bool,
    conn: Option<LdapConn>,
    given_back: bool,
}

impl Lease<'_> {
    /// The connection back to the pool's idle ones: it stays open, so its place stays taken.
    fn give_back(mut self) {
        if let Some(conn) = self.conn.take() {
            self.connections
                .lock()
                .entry(self.key.clone())
                .or_default()
                .kind(self.service)
                .idle
                .push(conn);
            self.given_back = true;
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if !self.given_back {
            // Closed, or never opened: its place is free.
            drop(self.conn.take());
            let mut pools = self.connections.lock();
            if let Some(pool) = pools.get_mut(&self.key) {
                let kind = pool.kind(self.service);
                kind.open = kind.open.saturating_sub(1);
            }
        }
        // Waiters may wait for another directory or kind: all of them look again.
        self.connections.returned.notify_all();
    }
}

/// Every directory's pools, and whether plain LDAP is allowed (a test setting).
pub struct Connections {
    pools: Mutex<HashMap<String, Pool>>,
    /// Signalled when a connection comes back or closes.
    returned: Condvar,
    allow_plain: bool,
    /// Operations sent to directories, by kind (`connect`, `service_bind`, `user_bind`,
    /// `search`): a sign-in costs one user bind and two searches once the pools are warm.
    operations: Option<IntCounterVec>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections").finish_non_exhaustive()
    }
}

impl Drop for Connections {
    /// A pooled connection owns a runtime of its own, which may not be dropped on an async
    /// worker (where actix drops the server's data when it stops): the pools are dropped on a
    /// thread of their own.
    fn drop(&mut self) {
        let pools = std::mem::take(self.pools.get_mut().unwrap_or_else(|e| e.into_inner()));
        if !pools.is_empty() {
            let _ = std::thread::spawn(move || drop(pools)).join();
        }
    }
}

fn key(directory: &Directory) -> String {
    format!(
        "{}\n{}\n{}",
        directory.account_id,
        directory.name,
        directory.updated_at.and_utc().timestamp_micros()
    )
}

fn timeout(directory: &Directory) -> Duration {
    Duration::from_secs(u64::try_from(directory.timeout_seconds).unwrap_or(5))
}

/// Whether the URL's host is a loopback address. `ldap:` is no special scheme to the URL
/// standard, so its host comes as text even when it is an address.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => {
            d == "localhost"
                || d.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// The TLS configuration: the directory's CA, or the system roots (Mozilla's) without one.
fn tls_config(directory: &Directory) -> Result<rustls::ClientConfig, LdapFailure> {
    let mut roots = rustls::RootCertStore::empty();
    if directory.ca_certificate.trim().is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        for cert in CertificateDer::pem_slice_iter(directory.ca_certificate.as_bytes()) {
            let cert = cert.map_err(|e| LdapFailure::Down(format!("the CA certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| LdapFailure::Down(format!("the CA certificate: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapFailure::Down(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Connections {
    pub fn new(allow_plain: bool) -> Self {
        let operations = IntCounterVec::new(
            Opts::new(
                "keyward_directory_operations_total",
                "LDAP operations sent to directories, by kind",
            ),
            &["operation"],
        )
        .ok();
        Connections {
            pools: Mutex::new(HashMap::new()),
            returned: Condvar::new(),
            allow_plain,
            operations,
        }
    }

    /// The operations counter, for the metrics registry.
    pub fn operations_counter(&self) -> Option<IntCounterVec> {
        self.operations.clone()
    }

    fn count(&self, operation: &str) {
        if let Some(operations) = &self.operations {
            operations.with_label_values(&[operation]).inc();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pool>> {
        self.pools.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new connection to `directory`, secured as it says.
    fn connect(&self, directory: &Directory) -> Result<LdapConn, LdapFailure> {
        self.count("connect");
        let url = url::Url::parse(&directory.url).map_err(|e| LdapFailure::Down(e.to_string()))?;
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(timeout(directory))
            .set_config(Arc::new(tls_config(directory)?));
        match directory.tls_mode {
            TlsMode::Ldaps => {}
            TlsMode::StartTls => settings = settings.set_starttls(true),
            TlsMode::None if self.allow_plain && is_loopback(&url) => {}
            TlsMode::None => {
                return Err(LdapFailure::Down(
                    "plain LDAP (without TLS) is allowed only to loopback addresses under the \
                     test setting KEYWARD_ALLOW_PLAIN_LDAP"
                        .into(),
                ))
            }
        }
        LdapConn::with_settings(settings, url.as_str())
            .map_err(|e| LdapFailure::Down(format!("{}: {e}", directory.url)))
    }

    /// A connection of one kind to the directory under `key`: an idle one, or the right to
    /// open one while fewer than [`POOL_SIZE`] are open, or, when all are lent, the first one
    /// given back or closed within `wait`. `None` when none came in time.
    fn lease(&self, key: String, service: bool, wait: Duration) -> Option<Lease<'_>> {
        let deadline = Instant::now() + wait;
        let mut pools = self.lock();
        loop {
            let kind = pools.entry(key.clone()).or_default().kind(service);
            let conn = kind.idle.pop();
            if conn.is_some() || kind.open < POOL_SIZE {
                if conn.is_none() {
                    kind.open += 1;
                }
                drop(pools);
                return Some(Lease {
                    connections: self,
                    key,
                    service,
                    conn,
                    given_back: false,
                });
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            pools = self
                .returned
                .wait_timeout(pools, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    fn busy(directory: &Directory) -> String {
        format!(
            "all {POOL_SIZE} connections to {} stayed busy for {} s",
            directory.url, directory.timeout_seconds
        )
    }

    /// A connection bound as the service account: an idle one, or a new one.
    fn service(
        &self,
        directory: &Directory,
        password: &SecretString,
    ) -> Result<Lease<'_>, DirectoryError> {
        let mut lease = self
            .lease(key(directory), true, timeout(directory))
            .ok_or_else(|| DirectoryError::Unavailable(Self::busy(directory)))?;
        if lease.conn.is_some() {
            return Ok(lease);
        }
        let mut conn = self
            .connect(directory)
            .map_err(|e| DirectoryError::Unavailable(failure_text(e)))?;
        self.count("service_bind");
        let bound = conn
            .with_timeout(timeout(directory))
            .simple_bind(&directory.bind_dn, password.expose_secret())
            .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        if bound.rc != 0 {
            return Err(DirectoryError::Unavailable(format!(
                "the service account's bind was refused (result {}: {})",
                bound.rc, bound.text
            )));
        }
        lease.conn = Some(conn);
        Ok(lease)
    }

    /// Searches the subtree under `base` as the service account. Only entries come back: AD
    /// answers a search from a domain's root with continuation references too (to
    /// `CN=Configuration,...`, and its DNS partitions), which ldap3's `search` leaves out (its
    /// `EntriesOnly` adapter), so they are never read as entries nor followed.
    pub fn search(
        &self,
        directory: &Directory,
        password: &SecretString,
        base: &str,
        filter: &str,
        attributes: &[&str],
    ) -> Result<Vec<SearchEntry>, DirectoryError> {
        tracing::info!(directory = %directory.name, %base, %filter, "directory search");
        let mut last = String::new();
        // A pooled connection may have been closed by the server: once more on another.
        for _ in 0..2 {
            let mut lease = self.service(directory, password)?;
            let Some(conn) = lease.conn.as_mut() else {
                continue;
            };
            self.count("search");
            let answer = conn.with_timeout(timeout(directory)).search(
                base,
                SUBTREE,
                filter,
                attributes.to_vec(),
            );
            match answer {
                Ok(found) => {
                    let (entries, result) = (found.0, found.1);
                    if result.rc != 0 {
                        return Err(DirectoryError::Unavailable(format!(
                            "the search {filter} failed (result {}: {})",
                            result.rc, result.text
                        )));
                    }
                    lease.give_back();
                    return entries
                        .into_iter()
                        .map(|raw| {
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                SearchEntry::construct(raw)
                            }))
                            .map_err(|_| {
                                DirectoryError::Unavailable("a malformed entry".to_string())
                            })
                        })
                        .collect();
                }
                // The lease drops: the connection is closed.
                Err(e) => last = e.to_string(),
            }
        }
        Err(DirectoryError::Unavailable(last))
    }

    /// Binds as `dn` with `password` on a connection kept for people's binds.
    pub fn bind_as(
        &self,
        directory: &Directory,
        dn: &str,
        password: &SecretString,
    ) -> Result<(), LdapFailure> {
        let mut last = String::new();
        for _ in 0..2 {
            let mut lease = self
                .lease(key(directory), false, timeout(directory))
                .ok_or_else(|| LdapFailure::Down(Self::busy(directory)))?;
            if lease.conn.is_none() {
                lease.conn = Some(self.connect(directory)?);
            }
            let Some(conn) = lease.conn.as_mut() else {
                continue;
            };
            self.count("user_bind");
            match conn
                .with_timeout(timeout(directory))
                .simple_bind(dn, password.expose_secret())
            {
                Ok(result) => {
                    lease.give_back();
                    return if result.rc == 0 {
                        Ok(())
                    } else {
                        Err(LdapFailure::Refused(format!(
                            "result {}: {}",
                            result.rc, result.text
                        )))
                    };
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(LdapFailure::Down(last))
    }
}

fn failure_text(failure: LdapFailure) -> String {
    match failure {
        LdapFailure::Refused(text) | LdapFailure::Down(text) => text,
    }
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, Connections, POOL_SIZE};
    use std::time::{Duration, Instant};

    #[test]
    fn no_more_than_the_pool_size_is_open_and_a_waiter_gets_the_next_place() {
        let connections = Connections::new(false);
        let key = || "account\ncorp\n1".to_string();
        let short = Duration::from_millis(20);
        let leases: Vec<_> = (0..POOL_SIZE)
            .map(|_| connections.lease(key(), true, short).unwrap())
            .collect();
        assert!(leases.iter().all(|l| l.conn.is_none()), "rights to open");
        let began = Instant::now();
        assert!(connections.lease(key(), true, short).is_none());
        assert!(began.elapsed() >= short);
        // The other kind, and another directory, have places of their own.
        assert!(connections.lease(key(), false, short).is_some());
        assert!(connections
            .lease("account\nother\n1".into(), true, short)
            .is_some());
        // A waiter gets the place a closed connection frees.
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                connections
                    .lease(key(), true, Duration::from_secs(10))
                    .is_some()
            });
            std::thread::sleep(Duration::from_millis(50));
            drop(leases);
            assert!(waiter.join().unwrap());
        });
        // All places free again: POOL_SIZE more rights to open.
        let again: Vec<_> = (0..POOL_SIZE)
            .filter_map(|_| connections.lease(key(), true, short))
            .collect();
        assert_eq!(again.len(), POOL_SIZE);
    }

    #[test]
    fn loopback_ldap_hosts_are_known_as_such() {
        for (url, loopback) in [
            ("ldap://127.0.0.1:389", true),
            ("ldap://[::1]:389", true),
            ("ldap://localhost", true),
            ("ldap://10.0.0.1", false),
            ("ldap://127.0.0.1.example.com", false),
            ("ldap://ldap.example.com", false),
        ] {
            let parsed = url::Url::parse(url).unwrap();
            assert_eq!(is_loopback(&parsed), loopback, "{url}");
        }
    }
}
