//! The request context: who asks, for what action on which resource, and the typed context keys.
//!
//! Callers (authz/, sts/, the simulator) build one [`RequestContext`] per request. Time arrives as a
//! value (`aws:CurrentTime`, `aws:EpochTime`), never from the clock. Key names are stored lowercased
//! because AWS "IAM JSON policy elements: Condition" says condition key names are not
//! case-sensitive; values keep their case and are compared per operator.

#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::arn::{Arn, ArnSplit};

/// FNV-1a: context key lookups hash short ASCII names; SipHash's DoS resistance buys nothing here
/// (keys come from our own services, and a policy can name at most a few hundred of them).
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Map from lowercased key name to value.
pub type KeyMap = HashMap<Box<str>, ContextValue, BuildHasherDefault<Fnv>>;

/// A typed context value. Operators convert where AWS does (a `Numeric*` operator reads a string
/// key as a number, a `Date*` operator reads a number as epoch seconds, and so on).
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    String(String),
    Bool(bool),
    Number(f64),
    Date(DateTime<Utc>),
    Ip(IpAddr),
    Binary(Vec<u8>),
    /// A multivalued key (`aws:TagKeys`, `sts:TransitiveTagKeys`, `<provider>:amr`, ...).
    Strings(Vec<String>),
}

impl ContextValue {
    /// Reads a value given as text with a type name: IAM's `ContextKeyType` names (`string`,
    /// `stringList`, `numeric`, `numericList`, `boolean`, `booleanList`, `ip`, `ipList`,
    /// `binary`, `binaryList`, `date`, `dateList`) and the short forms `strings`, `bool`,
    /// `number`. List types keep their elements as text; the operators convert them.
    pub fn from_typed(ty: &str, values: &[&str]) -> Result<ContextValue, String> {
        let one = || match values {
            [v] => Ok(*v),
            _ => Err(format!("a {ty} key takes exactly one value")),
        };
        let bad = |v: &str| format!("{v:?} is not a valid {ty}");
        Ok(match ty {
            "string" => ContextValue::String(one()?.to_owned()),
            "stringList" | "strings" | "numericList" | "booleanList" | "ipList" | "binaryList"
            | "dateList" => ContextValue::Strings(values.iter().map(|v| (*v).to_owned()).collect()),
            "boolean" | "bool" => match one()? {
                "true" => ContextValue::Bool(true),
                "false" => ContextValue::Bool(false),
                v => return Err(bad(v)),
            },
            "numeric" | "number" => {
                let v = one()?;
                ContextValue::Number(v.parse().map_err(|_| bad(v))?)
            }
            "date" => {
                let v = one()?;
                let parsed = DateTime::parse_from_rfc3339(v)
                    .map(|d| d.with_timezone(&Utc))
                    .ok()
                    .or_else(|| {
                        v.parse::<i64>()
                            .ok()
                            .and_then(|s| DateTime::from_timestamp(s, 0))
                    });
                ContextValue::Date(parsed.ok_or_else(|| bad(v))?)
            }
            "ip" => {
                let v = one()?;
                ContextValue::Ip(v.parse().map_err(|_| bad(v))?)
            }
            "binary" => {
                let v = one()?;
                ContextValue::Binary(
                    data_encoding::BASE64
                        .decode(v.as_bytes())
                        .map_err(|_| bad(v))?,
                )
            }
            other => return Err(format!("unknown context key type {other}")),
        })
    }

    /// The single values of this key: one for scalars, each element for a list.
    pub fn len(&self) -> usize {
        match self {
            ContextValue::Strings(v) => v.len(),
            _ => 1,
        }
    }

    /// True for an empty list.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True for a multivalued key.
    pub fn is_multi(&self) -> bool {
        matches!(self, ContextValue::Strings(_))
    }

    /// Calls `f` on each single value until it returns true; returns whether it did.
    #[inline]
    pub fn any(&self, mut f: impl FnMut(Scalar<'_>) -> bool) -> bool {
        match self {
            ContextValue::Strings(v) => v.iter().any(|s| f(Scalar::Str(s))),
            other => f(other.scalar()),
        }
    }

    /// Calls `f` on each single value; true when every call returns true (and for an empty list).
    #[inline]
    pub fn all(&self, mut f: impl FnMut(Scalar<'_>) -> bool) -> bool {
        match self {
            ContextValue::Strings(v) => v.iter().all(|s| f(Scalar::Str(s))),
            other => f(other.scalar()),
        }
    }

    fn scalar(&self) -> Scalar<'_> {
        match self {
            ContextValue::String(s) => Scalar::Str(s),
            ContextValue::Bool(b) => Scalar::Bool(*b),
            ContextValue::Number(n) => Scalar::Number(*n),
            ContextValue::Date(d) => Scalar::Date(*d),
            ContextValue::Ip(ip) => Scalar::Ip(*ip),
            ContextValue::Binary(b) => Scalar::Binary(b),
            ContextValue::Strings(_) => Scalar::Str(""),
        }
    }

    /// Each single value as text (for explanations and encoded authorization messages).
    pub fn texts(&self) -> Vec<String> {
        match self {
            ContextValue::Strings(v) => v.clone(),
            other => vec![other.scalar().to_text().into_owned()],
        }
    }

    /// The value as one string for policy variables; `None` for a list of other than one element.
    pub fn as_variable(&self) -> Option<String> {
        match self {
            ContextValue::Strings(v) if v.len() == 1 => v.first().cloned(),
            ContextValue::Strings(_) => None,
            other => Some(other.scalar().to_text().into_owned()),
        }
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        ContextValue::String(s.to_owned())
    }
}
impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        ContextValue::String(s)
    }
}
impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        ContextValue::Bool(b)
    }
}
impl From<f64> for ContextValue {
    fn from(n: f64) -> Self {
        ContextValue::Number(n)
    }
}
impl From<i64> for ContextValue {
    fn from(n: i64) -> Self {
        ContextValue::Number(n as f64)
    }
}
impl From<DateTime<Utc>> for ContextValue {
    fn from(d: DateTime<Utc>) -> Self {
        ContextValue::Date(d)
    }
}
impl From<IpAddr> for ContextValue {
    fn from(ip: IpAddr) -> Self {
        ContextValue::Ip(ip)
    }
}
impl From<Vec<String>> for ContextValue {
    fn from(v: Vec<String>) -> Self {
        ContextValue::Strings(v)
    }
}

/// One single value of a context key, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
    Number(f64),
    Date(DateTime<Utc>),
    Ip(IpAddr),
    Binary(&'a [u8]),
}

impl<'a> Scalar<'a> {
    /// The value as text (what a `String*` operator compares).
    pub fn to_text(self) -> std::borrow::Cow<'a, str> {
        use std::borrow::Cow;
        match self {
            Scalar::Str(s) => Cow::Borrowed(s),
            Scalar::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Scalar::Number(n) => Cow::Owned(format_number(n)),
            Scalar::Date(d) => Cow::Owned(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            Scalar::Ip(ip) => Cow::Owned(ip.to_string()),
            Scalar::Binary(b) => Cow::Owned(data_encoding::BASE64.encode(b)),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// What kind of principal makes the request (`aws:PrincipalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    /// The account root user.
    Account,
    /// An IAM user.
    User,
    /// A role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A `GetFederationToken` session.
    FederatedUser,
    /// A web-identity or SAML user before it assumes a role (trust policy evaluation).
    WebIdentity,
    /// An AWS-style service principal (`ec2.amazonaws.com`).
    Service,
    /// No credentials at all.
    Anonymous,
}

impl PrincipalType {
    /// The `aws:PrincipalType` value AWS documents ("AWS global condition context keys").
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Account => "Account",
            PrincipalType::User => "User",
            PrincipalType::AssumedRole => "AssumedRole",
            PrincipalType::FederatedUser => "FederatedUser",
            PrincipalType::WebIdentity => "WebIdentityUser",
            PrincipalType::Service => "Service",
            PrincipalType::Anonymous => "Anonymous",
        }
    }
}

/// The requesting principal.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub kind: PrincipalType,
    /// The principal's ARN (for a service, its name; for web identity, the provider).
    pub arn: String,
    /// The 12-digit account, when the principal belongs to one.
    pub account: Option<String>,
    /// `aws:userid` (`AIDA...` for users, `AROA...:session` for role sessions).
    pub user_id: String,
    /// `aws:username`, for IAM users only.
    pub username: Option<String>,
    /// For a role session: the role's ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME`).
    pub role_arn: Option<String>,
    /// For web identity/SAML: the provider (`accounts.example.com` or an oidc-provider ARN).
    pub federated_provider: Option<String>,
    /// Principal tags (user/role tags, session tags).
    pub tags: Vec<(String, String)>,
}

impl Principal {
    fn base(kind: PrincipalType, arn: String, account: Option<&str>) -> Principal {
        Principal {
            kind,
            arn,
            account: account.map(str::to_owned),
            user_id: String::new(),
            username: None,
            role_arn: None,
            federated_provider: None,
            tags: Vec::new(),
        }
    }

    /// An IAM user `arn:aws:iam::ACCOUNT:user{path}{name}`; `path` is `/` or `/a/b/`.
    pub fn user(account: &str, path: &str, name: &str, user_id: &str) -> Principal {
        let arn = format!("arn:aws:iam::{account}:user{path}{name}");
        let mut p = Principal::base(PrincipalType::User, arn, Some(account));
        p.user_id = user_id.to_owned();
        p.username = Some(name.to_owned());
        p
    }

    /// The account root user.
    pub fn root(account: &str) -> Principal {
        let mut p = Principal::base(
            PrincipalType::Account,
            format!("arn:aws:iam::{account}:root"),
            Some(account),
        );
        p.user_id = account.to_owned();
        p
    }

    /// A role session of `arn:aws:iam::ACCOUNT:role{path}{role}`.
    pub fn assumed_role(
        account: &str,
        path: &str,
        role: &str,
        role_id: &str,
        session: &str,
    ) -> Principal {
        let arn = format!("arn:aws:sts::{account}:assumed-role/{role}/{session}");
        let mut p = Principal::base(PrincipalType::AssumedRole, arn, Some(account));
        p.user_id = format!("{role_id}:{session}");
        p.role_arn = Some(format!("arn:aws:iam::{account}:role{path}{role}"));
        p
    }

    /// A `GetFederationToken` session `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    pub fn federated_user(account: &str, name: &str) -> Principal {
        let arn = format!("arn:aws:sts::{account}:federated-user/{name}");
        let mut p = Principal::base(PrincipalType::FederatedUser, arn, Some(account));
        p.user_id = format!("{account}:{name}");
        p
    }

    /// A web-identity (OIDC) or SAML user of `provider`, with subject `subject`.
    pub fn web_identity(provider: &str, subject: &str) -> Principal {
        let mut p = Principal::base(PrincipalType::WebIdentity, provider.to_owned(), None);
        p.user_id = format!("{provider}:{subject}");
        p.federated_provider = Some(provider.to_owned());
        p
    }

    /// A service principal such as `ec2.amazonaws.com`.
    pub fn service(name: &str) -> Principal {
        Principal::base(PrincipalType::Service, name.to_owned(), None)
    }

    /// The anonymous principal.
    pub fn anonymous() -> Principal {
        let mut p = Principal::base(PrincipalType::Anonymous, "*".to_owned(), None);
        p.user_id = "anonymous".to_owned();
        p
    }

    /// Parses a principal ARN (root, user, assumed-role or federated-user); `None` otherwise.
    /// Ids are synthesised from names (the simulator has no store).
    pub fn from_arn(arn: &str) -> Option<Principal> {
        let a = Arn::parse(arn)?;
        let account = a.account;
        match (a.service, a.resource.split_once('/')) {
            ("iam", None) if a.resource == "root" => Some(Principal::root(account)),
            ("iam", Some(("user", rest))) => {
                let (path, name) = split_path(rest);
                Some(Principal::user(account, &path, name, name))
            }
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/')?;
                Some(Principal::assumed_role(account, "/", role, role, session))
            }
            ("sts", Some(("federated-user", name))) => {
                Some(Principal::federated_user(account, name))
            }
            _ => None,
        }
    }

    /// Adds a principal tag.
    pub fn with_tag(mut self, key: &str, value: &str) -> Principal {
        self.tags.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// `a/b/name` → (`/a/b/`, `name`); `name` → (`/`, `name`).
fn split_path(rest: &str) -> (String, &str) {
    match rest.rsplit_once('/') {
        Some((dirs, name)) => (format!("/{dirs}/"), name),
        None => ("/".to_owned(), rest),
    }
}

/// Everything an evaluation reads about the request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    principal: Principal,
    action: String,
    action_lc: String,
    resource: String,
    resource_split: Option<ArnSplit>,
    keys: KeyMap,
}

impl RequestContext {
    /// A context for `principal` calling `action` on `resource`. Adds the principal-derived global
    /// keys: `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:userid`,
    /// `aws:username` (IAM users only), `aws:PrincipalTag/*`, and `aws:FederatedProvider`.
    pub fn new(principal: Principal, action: &str, resource: &str) -> RequestContext {
        let mut ctx = RequestContext {
            action: action.to_owned(),
            action_lc: action.to_ascii_lowercase(),
            resource: resource.to_owned(),
            resource_split: ArnSplit::of(resource),
            keys: KeyMap::default(),
            principal,
        };
        ctx.derive_principal_keys();
        ctx
    }

    fn derive_principal_keys(&mut self) {
        let p = self.principal.clone();
        if p.kind != PrincipalType::Anonymous {
            let principal_arn = p.role_arn.clone().unwrap_or_else(|| p.arn.clone());
            self.insert("aws:PrincipalArn", principal_arn);
        }
        if let Some(acct) = &p.account {
            self.insert("aws:PrincipalAccount", acct.as_str());
        }
        self.insert("aws:PrincipalType", p.kind.as_str());
        if !p.user_id.is_empty() {
            self.insert("aws:userid", p.user_id.as_str());
        }
        if let Some(name) = &p.username {
            self.insert("aws:username", name.as_str());
        }
        if let Some(fp) = &p.federated_provider {
            self.insert("aws:FederatedProvider", fp.as_str());
        }
        for (k, v) in &p.tags {
            self.insert(&format!("aws:PrincipalTag/{k}"), v.as_str());
        }
    }

    /// Sets a context key (name case-insensitive), replacing an earlier value.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        self.keys
            .insert(key.to_lowercase().into_boxed_str(), value.into());
    }

    /// Builder form of [`RequestContext::insert`].
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> RequestContext {
        self.insert(key, value);
        self
    }

    /// Looks a key up, case-insensitively.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
            self.keys.get(key.to_lowercase().as_str())
        } else {
            self.keys.get(key)
        }
    }

    /// Looks up an already-lowercased key (the compiled form stores lowercased names).
    #[inline]
    pub fn get_lc(&self, key_lc: &str) -> Option<&ContextValue> {
        self.keys.get(key_lc)
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }
    pub fn action(&self) -> &str {
        &self.action
    }
    /// The action, lowercased once for case-insensitive matching.
    pub fn action_lc(&self) -> &str {
        &self.action_lc
    }
    pub fn resource(&self) -> &str {
        &self.resource
    }
    pub fn resource_split(&self) -> Option<&ArnSplit> {
        self.resource_split.as_ref()
    }
    /// All keys (lowercased names), for explanations and the simulator.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.keys.iter().map(|(k, v)| (k.as_ref(), v))
    }
}
