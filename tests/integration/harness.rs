//! Test harness: fresh databases (embedded or PostgreSQL) and a running `keyward serve`.

use diesel::{Connection, PgConnection, RunQueryDsl};
use keyward::config::{DatabaseTarget, StoreSettings};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// The server that test databases are created on.
pub fn postgres_admin_url() -> String {
    std::env::var("KEYWARD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    getrandom_fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn getrandom_fill(buf: &mut [u8]) {
    use keyward::clock::Random;
    keyward::clock::SystemRandom.fill(buf);
}

/// A database of its own for one test, dropped with it.
pub struct TestDb {
    /// The data directory (also holds the SQLite file for the embedded store).
    pub dir: TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pg_name = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let name = format!("keyward_test_{}", random_suffix());
                let mut admin = PgConnection::establish(&postgres_admin_url()).expect(
                    "PostgreSQL for tests (set KEYWARD_TEST_DATABASE_URL or run tests/run)",
                );
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                Some(name)
            }
        };
        Self { dir, pg_name }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The URL to give Keyward; `None` for the embedded store's default location.
    pub fn url(&self) -> Option<String> {
        self.pg_name.as_ref().map(|name| {
            let mut url = url::Url::parse(&postgres_admin_url()).unwrap();
            url.set_path(&format!("/{name}"));
            url.to_string()
        })
    }

    pub fn store_settings(&self) -> StoreSettings {
        let database = match self.url() {
            Some(url) => DatabaseTarget::parse(&url).unwrap(),
            None => DatabaseTarget::Sqlite(self.data_dir().join("keyward.db")),
        };
        StoreSettings {
            data_dir: self.data_dir().to_path_buf(),
            database,
            master_key: None,
            db_pool_size: 10,
        }
    }

    /// Makes the database unreachable (PostgreSQL only): drops it under the server's feet.
    pub fn drop_database(&mut self) {
        if let Some(name) = self.pg_name.take() {
            drop_pg_database(&name);
        }
    }
}

fn drop_pg_database(name: &str) {
    if let Ok(mut admin) = PgConnection::establish(&postgres_admin_url()) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin);
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            drop_pg_database(name);
        }
    }
}

pub fn keyward_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyward"))
}

/// A `keyward` command with a clean environment: only the settings a test gives.
pub fn keyward(db: &TestDb) -> Command {
    let mut cmd = Command::new(keyward_bin());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KEYWARD_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("KEYWARD_DATA_DIR", db.data_dir());
    if let Some(url) = db.url() {
        cmd.env("KEYWARD_DATABASE_URL", url);
    }
    cmd
}

/// A running server and everything it printed.
pub struct Server {
    child: Child,
    pub url: String,
    /// The HTTP client of `get` (one trusting the test CA for a server that serves https).
    client: reqwest::blocking::Client,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

fn collect(stream: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut text = into.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
}

impl Server {
    /// Starts `keyward serve` on a free port and waits until `/healthz` answers.
    pub fn start(db: &TestDb, envs: &[(&str, &str)]) -> Self {
        Self::start_with(db, envs, reqwest::blocking::Client::new())
    }

    /// [`Server::start`], asking `/healthz` (and later `get`) with `client`.
    pub fn start_with(
        db: &TestDb,
        envs: &[(&str, &str)],
        client: reqwest::blocking::Client,
    ) -> Self {
        let mut cmd = keyward(db);
        cmd.arg("serve")
            .env("KEYWARD_LISTEN", "127.0.0.1:0")
            .env("KEYWARD_WORKERS", "2")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().unwrap(), stdout.clone());
        collect(child.stderr.take().unwrap(), stderr.clone());
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = loop {
            let text = stdout.lock().unwrap().clone();
            if let Some(url) = text
                .lines()
                .find_map(|l| l.strip_prefix("Keyward is listening on "))
            {
                break url.trim().to_string();
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "keyward exited with {status} before listening:\n{}\n{}",
                    text,
                    stderr.lock().unwrap()
                );
            }
            assert!(Instant::now() < deadline, "keyward did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let server = Self {
            child,
            url,
            client,
            stdout,
            stderr,
        };
        while server.get("/healthz").ok().map(|r| r.status().as_u16()) != Some(200) {
            assert!(Instant::now() < deadline, "/healthz never answered");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn get(&self, path: &str) -> reqwest::Result<reqwest::blocking::Response> {
        self.client
            .get(format!("{}{path}", self.url))
            .timeout(Duration::from_secs(30))
            .send()
    }

    /// The server process's id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the process to end.
    pub fn stop(mut self) -> (ExitStatus, String, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "keyward ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        // Let the reader threads drain the pipes.
        std::thread::sleep(Duration::from_millis(100));
        (exit, self.stdout(), self.stderr())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value printed after `label:` in the banner.
pub fn banner_value(stdout: &str, label: &str) -> Option<String> {
    stdout.lines().find_map(|l| {
        l.trim_start()
            .strip_prefix(label)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}
