//! The layering rule between the top-level modules of `src/`, read from their `crate::...`
//! paths: a module imports only modules of lower layers, so no two import each other, directly
//! or through others. The layers are listed below, deepest first, each with what it is.
//!
//! An import that must point up would be listed in [`UPWARD`] with its reason; the list is
//! empty since issue 16 removed the last cycle. The test fails on any upward edge that is not
//! listed (a new cycle), and on a listed one that is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, deepest first: (module, what it is). A module may import any module listed
/// before it.
const LAYERS: &[(&str, &str)] = &[
    ("clock", "the only source of time and randomness"),
    ("policy", "the pure IAM policy engine: no I/O"),
    (
        "federation",
        "external identities and their mapping to trust keys, session tags, roles; pure",
    ),
    (
        "secrets",
        "sealing of secrets at rest, on the clock's randomness",
    ),
    (
        "auth",
        "password hashing, TOTP and the throttle state machine, pure",
    ),
    ("config", "settings, validated once at start"),
    (
        "storage",
        "the store: connections, schema, migrations, throttle rows",
    ),
    (
        "credentials",
        "credential formats: access keys, session claims, sealed session tokens",
    ),
    ("audit", "the audit trail, written to the store"),
    (
        "http",
        "the HTTP edge's helpers: client address, request facts, metrics",
    ),
    (
        "outbound",
        "bounded calls to external systems, trusted by roots or thumbprints",
    ),
    (
        "context",
        "what every service is given: store, clock, sealing, quotas",
    ),
    ("iam", "IAM's entities and their rules"),
    (
        "directory",
        "directories as an identity source: binds and escaped searches, pooled",
    ),
    (
        "authz",
        "authorization of callers: their policies, loaded and decided",
    ),
    ("sts", "temporary credentials and role sessions"),
    (
        "aws_api",
        "the AWS APIs (IAM and STS's query protocol, Roles Anywhere's REST-JSON) and Keyward's JSON APIs",
    ),
    (
        "signin",
        "sign-in as a service: the flow, sessions, WebAuthn, throttling, sign-out",
    ),
    (
        "browser",
        "the browser kit under both web surfaces: cookies, pages, CSRF, the session",
    ),
    ("oidc", "the OpenID Connect provider"),
    ("portal", "the sign-in portal and console"),
    ("sweep", "the background sweep of expired rows"),
    ("routes", "the route tables of every surface"),
    ("app", "start-up: the store, the services, the server"),
    ("cli", "the command line over the library"),
];

/// Imports allowed to point up a layer, each with its reason: none.
const UPWARD: &[(&str, &str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules each file's `crate::name` paths name, `use crate::{a, b}` included.
fn imports(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end]
                .split(',')
                .map(|part| part.trim().split("::").next().unwrap_or("").trim())
                .collect()
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            vec![&rest[..end]]
        };
        out.extend(
            names
                .into_iter()
                .filter(|n| modules.contains(*n))
                .map(str::to_string),
        );
    }
    out
}

/// Every top-level module's imports of other top-level modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .expect("src/")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            (path.is_dir() || path.extension().is_some_and(|x| x == "rs")).then_some(stem)
        })
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for module in &modules {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        let file = src.join(format!("{module}.rs"));
        if file.exists() {
            files.push(file);
        }
        let entry = edges.entry(module.clone()).or_default();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("a source file");
            entry.extend(imports(&text, &modules).into_iter().filter(|m| m != module));
        }
    }
    edges
}

#[test]
fn modules_import_only_lower_layers_but_for_the_listed_cycles() {
    let graph = graph();
    let rank = |m: &str| LAYERS.iter().position(|(name, _)| *name == m);
    let unplaced: Vec<&String> = graph.keys().filter(|m| rank(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "top-level modules without a layer in LAYERS: {unplaced:?}"
    );
    let mut upward: BTreeSet<(String, String)> = BTreeSet::new();
    for (from, targets) in &graph {
        for to in targets {
            if rank(to) > rank(from) {
                upward.insert((from.clone(), to.clone()));
            }
        }
    }
    let listed: BTreeSet<(String, String)> = UPWARD
        .iter()
        .map(|(from, to, _)| (from.to_string(), to.to_string()))
        .collect();
    let new: Vec<_> = upward.difference(&listed).collect();
    assert!(
        new.is_empty(),
        "imports that point up a layer (each makes or may make a cycle): {new:?}"
    );
    let gone: Vec<_> = listed.difference(&upward).collect();
    assert!(
        gone.is_empty(),
        "cycles removed: take these out of UPWARD: {gone:?}"
    );
}

#[test]
fn imports_are_read_from_single_paths_and_groups() {
    let modules: BTreeSet<String> = ["iam", "sts", "storage"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let text = "use crate::iam::roles;\nuse crate::{sts::TokenSealer, storage};\n// crate::nope";
    let found: Vec<String> = imports(text, &modules).into_iter().collect();
    assert_eq!(found, ["iam", "storage", "sts"]);
}

/// Files allowed over [`MAX_LINES`]: the policy engine's test tables and diesel's generated
/// schema.
const LONG_FILES_ALLOWED: &[&str] = &["src/policy/tests/", "src/storage/schema.rs"];
const MAX_LINES: usize = 600;

#[test]
fn no_source_file_is_over_600_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests/integration"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(root).ok()?.to_string_lossy().into_owned();
            let lines = std::fs::read_to_string(path).ok()?.lines().count();
            (lines > MAX_LINES && !LONG_FILES_ALLOWED.iter().any(|a| relative.starts_with(a)))
                .then(|| format!("{relative}: {lines} lines"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these by what they hold (docs/ARCHITECTURE.md): {long:?}"
    );
}
