//! The sign-in service on a store of its own with a clock the test moves: session lifetimes,
//! lock-outs, password expiry and rehashing, without waiting.

use super::*;
use keyward::audit::{AuditQueue, RequestMeta};
use keyward::clock::FixedClock;
use keyward::portal::sessions::{self, Lifetimes, Stage};
use keyward::portal::signin::{self, Attempt, Outcome, Refusal};
use keyward::portal::Portal;
use keyward::secrets::{ExposeSecret, SecretString};
use std::sync::Arc;

pub(crate) struct Setup {
    _db: TestDb,
    pub portal: Portal,
    pub clock: Arc<FixedClock>,
    pub account: String,
    pub root_password: String,
    start: chrono::NaiveDateTime,
}

pub(crate) fn now(s: &Setup) -> chrono::NaiveDateTime {
    keyward::clock::Clock::now_naive(s.clock.as_ref())
}

fn setup() -> Setup {
    setup_on(Backend::Sqlite)
}

pub(crate) fn setup_on(backend: Backend) -> Setup {
    let db = TestDb::new(backend);
    let mut ctx = keyward::app::service_context(&db.store_settings()).unwrap();
    let clock = Arc::new(FixedClock::new(
        chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
    ));
    ctx.clock = clock.clone();
    let created = match keyward::iam::bootstrap::ensure(&ctx, |_| Ok(())).unwrap() {
        keyward::iam::bootstrap::Outcome::Created(created) => created,
        _ => panic!("a fresh store bootstraps"),
    };
    let audit = Arc::new(AuditQueue::start(ctx.store.clone(), ctx.random.clone()).unwrap());
    let lifetimes = Lifetimes {
        idle: chrono::Duration::hours(1),
        absolute: chrono::Duration::hours(12),
    };
    let portal = Portal::new(ctx, audit, lifetimes, "us-east-1".into(), false).unwrap();
    Setup {
        start: keyward::clock::Clock::now_naive(clock.as_ref()),
        _db: db,
        portal,
        clock,
        account: created.account_id.to_string(),
        root_password: created.root_password.expose_secret().to_string(),
    }
}

fn attempt(s: &Setup, password: &str) -> Outcome {
    let meta = RequestMeta {
        source_ip: Some("192.0.2.7".into()),
        ..RequestMeta::default()
    };
    signin::with_password(
        &s.portal,
        &Attempt {
            account: s.account.clone(),
            user_name: "root".into(),
            password: SecretString::from(password.to_string()),
            device: None,
        },
        &meta,
    )
    .unwrap()
}

fn cookie(outcome: Outcome) -> String {
    match outcome {
        Outcome::Session { cookie, stage } => {
            assert_eq!(stage, Stage::ChangePassword);
            cookie
        }
        other => panic!("expected a session, got {other:?}"),
    }
}

fn alive(s: &Setup, cookie: &str) -> bool {
    sessions::load(&s.portal.ctx, s.portal.lifetimes, cookie)
        .unwrap()
        .is_some()
}

#[test]
fn sessions_end_after_an_idle_hour_or_twelve_hours_however_busy() {
    let s = setup();
    let idle = cookie(attempt(&s, &s.root_password));
    let busy = cookie(attempt(&s, &s.root_password));
    s.clock.advance(chrono::Duration::minutes(59));
    assert!(alive(&s, &busy));
    s.clock.advance(chrono::Duration::minutes(2));
    assert!(!alive(&s, &idle), "idle for 61 minutes");
    // Seen every 50 minutes, the busy one lives until its twelve hours are up.
    for _ in 0..14 {
        s.clock.advance(chrono::Duration::minutes(50));
        let expected = now(&s) < s.start + chrono::Duration::hours(12);
        assert_eq!(alive(&s, &busy), expected);
    }
    assert!(!alive(&s, &busy));
}

#[test]
fn ten_failures_lock_the_user_for_fifteen_minutes_then_the_password_works() {
    let s = setup();
    let mut waited = chrono::Duration::zero();
    let mut failures = 0;
    while failures < 10 {
        match attempt(&s, "wrong") {
            Outcome::Refused(Refusal::Incorrect) => failures += 1,
            Outcome::Refused(Refusal::Blocked { until, locked }) => {
                assert!(!locked, "not locked before ten failures");
                let wait = until - now(&s);
                waited += wait;
                s.clock.advance(wait);
            }
            other => panic!("{other:?}"),
        }
    }
    // 1 + 2 + 4 + ... + 32 seconds of delays on the way.
    assert_eq!(waited, chrono::Duration::seconds(63));
    let locked = attempt(&s, &s.root_password);
    assert_eq!(
        locked,
        Outcome::Refused(Refusal::Blocked {
            until: now(&s) + chrono::Duration::minutes(15),
            locked: true
        }),
        "even the right password waits out the lockout"
    );
    s.clock.advance(chrono::Duration::minutes(15));
    cookie(attempt(&s, &s.root_password));
}

/// An IAM user with a console password, made through the IAM services.
pub(crate) fn user_with_password(s: &Setup, name: &str, password: &str) {
    let call = keyward::iam::Call {
        account_id: s.account.clone(),
        actor_arn: format!("arn:aws:iam::{}:root", s.account),
        meta: RequestMeta::default(),
    };
    keyward::iam::users::create(
        &s.portal.ctx,
        &call,
        keyward::iam::users::CreateUser {
            name: name.into(),
            path: None,
            permissions_boundary: None,
            tags: Vec::new(),
        },
    )
    .unwrap();
    let secret = SecretString::from(password.to_string());
    keyward::iam::passwords::create_profile(&s.portal.ctx, &call, name, &secret, false).unwrap();
}

fn user_attempt(s: &Setup, name: &str, password: &str) -> Outcome {
    signin::with_password(
        &s.portal,
        &Attempt {
            account: s.account.clone(),
            user_name: name.into(),
            password: SecretString::from(password.to_string()),
            device: None,
        },
        &RequestMeta::default(),
    )
    .unwrap()
}

fn stage(outcome: Outcome) -> Stage {
    match outcome {
        Outcome::Session { stage, .. } => stage,
        other => panic!("expected a session, got {other:?}"),
    }
}

fn set_policy(s: &Setup, max_age: &str, hard: bool) {
    let call = keyward::iam::Call {
        account_id: s.account.clone(),
        actor_arn: format!("arn:aws:iam::{}:root", s.account),
        meta: RequestMeta::default(),
    };
    let policy = keyward::auth::password_policy::PasswordPolicy {
        minimum_length: 8,
        require_symbols: false,
        require_numbers: false,
        require_uppercase: false,
        require_lowercase: false,
        allow_users_to_change: true,
        max_age_days: Some(max_age.parse().unwrap()),
        reuse_prevention: None,
        hard_expiry: hard,
    };
    keyward::iam::passwords::update_policy(&s.portal.ctx, &call, &policy).unwrap();
}

#[test]
fn an_expired_password_must_be_changed_and_a_hard_expiry_refuses_sign_in() {
    let s = setup();
    user_with_password(&s, "lou", "Lou-Passw0rd!");
    set_policy(&s, "30", false);
    assert_eq!(
        stage(user_attempt(&s, "lou", "Lou-Passw0rd!")),
        Stage::Active
    );
    s.clock.advance(chrono::Duration::days(31));
    assert_eq!(
        stage(user_attempt(&s, "lou", "Lou-Passw0rd!")),
        Stage::ChangePassword,
        "expired: the password page first"
    );
    set_policy(&s, "30", true);
    assert_eq!(
        user_attempt(&s, "lou", "Lou-Passw0rd!"),
        Outcome::Refused(Refusal::Expired),
        "hard expiry: only an administrator can help"
    );
}

#[test]
fn a_password_hashed_with_older_parameters_is_rehashed_at_sign_in() {
    use argon2::password_hash::PasswordHasher;
    let s = setup();
    user_with_password(&s, "max", "Max-Passw0rd!");
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8, 1, 1, None).unwrap(),
    )
    .hash_password_with_salt(b"Max-Passw0rd!", b"saltsaltsaltsalt")
    .unwrap()
    .to_string();
    let stored = |s: &Setup| -> String {
        use diesel::prelude::*;
        use keyward::storage::schema::{login_profiles, users};
        s.portal
            .ctx
            .store
            .read(|conn| {
                login_profiles::table
                    .inner_join(users::table)
                    .filter(users::name.eq("max"))
                    .select(login_profiles::password_hash)
                    .first::<String>(conn)
                    .map_err(keyward::storage::StorageError::from)
            })
            .unwrap()
    };
    s.portal
        .ctx
        .store
        .write(|conn| {
            use diesel::prelude::*;
            use keyward::storage::schema::login_profiles;
            diesel::update(login_profiles::table)
                .set(login_profiles::password_hash.eq(&weak))
                .execute(conn)
                .map_err(keyward::storage::StorageError::from)
        })
        .unwrap();
    assert!(keyward::auth::password::needs_rehash(&stored(&s)));
    assert_eq!(
        stage(user_attempt(&s, "max", "Max-Passw0rd!")),
        Stage::Active
    );
    let now = stored(&s);
    assert!(!keyward::auth::password::needs_rehash(&now), "{now}");
    assert!(now.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_eq!(
        stage(user_attempt(&s, "max", "Max-Passw0rd!")),
        Stage::Active
    );
}
