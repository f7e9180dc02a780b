//! Keeps `src/policy` pure: no I/O, async, database, CLI, clock or randomness.

use std::path::{Path, PathBuf};

/// Forbidden fragments, assembled so this file does not match itself.
fn forbidden() -> Vec<String> {
    [
        ("actix", ""),
        ("diesel", ""),
        ("tokio", ""),
        ("reqwest", ""),
        ("clap", ""),
        ("std::", "fs"),
        ("std::", "net::Tcp"),
        ("std::", "env"),
        ("std::", "process"),
        ("std::", "thread"),
        ("SystemTime::", "now"),
        ("Instant::", "now"),
        ("Utc::", "now"),
        ("Local::", "now"),
        ("rand", "::"),
        ("async", " fn"),
        ("println", "!"),
    ]
    .iter()
    .map(|(a, b)| format!("{a}{b}"))
    .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn policy_module_imports_nothing_impure() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/policy");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(
        files.len() > 10,
        "expected the policy sources under {dir:?}"
    );
    // Sibling modules (file and directory names) may be imported by their bare name.
    let siblings: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .chain(["condition".to_owned()])
        .collect();
    let allowed_crates = [
        "std",
        "serde",
        "serde_json",
        "chrono",
        "ipnet",
        "data_encoding",
        "wildmatch",
        "super",
        "crate",
        "self",
    ];
    let mut problems = Vec::new();
    for f in files {
        if f.ends_with("tests/purity.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            for bad in forbidden() {
                if line.contains(&bad) {
                    problems.push(format!("{}:{}: {bad}: {line}", f.display(), n + 1));
                }
            }
            if let Some(rest) = trimmed
                .strip_prefix("use ")
                .or_else(|| trimmed.strip_prefix("pub use "))
            {
                let root = rest.split("::").next().unwrap_or("").trim_end_matches(';');
                let root = root.trim_start_matches('{');
                let local = siblings.iter().any(|s| s == root)
                    || root.starts_with(|c: char| c.is_ascii_uppercase());
                if !allowed_crates.contains(&root) && !local && !root.starts_with("proptest") {
                    problems.push(format!(
                        "{}:{}: crate {root} not allowed",
                        f.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "impure code in src/policy:\n{}",
        problems.join("\n")
    );
}
