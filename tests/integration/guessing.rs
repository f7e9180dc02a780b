//! Guessing at the sign-in portal under concurrency, and principals found by id: the sign-in
//! service on a store of its own with a fixed clock, driven from many threads at once.

use crate::harness::BACKENDS;
use crate::portal::with_a_fixed_clock::{now, setup_on, user_with_password, Setup};
use keyward::audit::RequestMeta;
use keyward::auth::totp;
use keyward::portal::sessions::{self, Session, Stage};
use keyward::portal::signin::{self, Attempt, Outcome, Refusal};
use keyward::secrets::SecretString;

fn meta() -> RequestMeta {
    meta_from("192.0.2.7")
}

fn meta_from(ip: &str) -> RequestMeta {
    RequestMeta {
        source_ip: Some(ip.into()),
        ..RequestMeta::default()
    }
}

/// A password sign-in from 192.0.2.7 with no known-device cookie.
pub(crate) fn password_attempt(s: &Setup, user: &str, password: &str) -> Outcome {
    attempt_from(s, user, password, None, "192.0.2.7")
}

/// Runs `count` attempts at once; returns how many were checked (answered "incorrect") and
/// the latest time a blocked one was told to come back.
fn burst(
    count: usize,
    attempt: impl Fn(usize) -> Outcome + Sync,
) -> (usize, Option<chrono::NaiveDateTime>) {
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .map(|i| {
                let attempt = &attempt;
                scope.spawn(move || attempt(i))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut checked = 0;
    let mut until = None;
    for outcome in outcomes {
        match outcome {
            Outcome::Refused(Refusal::Incorrect) => checked += 1,
            Outcome::Refused(Refusal::Blocked { until: u, .. }) => {
                until = until.max(Some(u));
            }
            other => panic!("a wrong guess got {other:?}"),
        }
    }
    (checked, until)
}

fn session_of(s: &Setup, outcome: Outcome) -> (String, Session) {
    let Outcome::Session { cookie, .. } = outcome else {
        panic!("expected a session, got {outcome:?}");
    };
    let session = sessions::load(&s.portal.ctx, s.portal.lifetimes, &cookie)
        .unwrap()
        .unwrap();
    (cookie, session)
}

#[test]
fn concurrent_wrong_passwords_are_counted_before_they_are_checked() {
    for backend in BACKENDS {
        let s = setup_on(backend);
        user_with_password(&s, "gus", "Gus-Passw0rd!");
        // 30 at once: at most ten are checked (the tenth reservation locks the key). Fewer
        // when the first checks prove wrong while the last are still arriving: their delay
        // refuses those.
        let (checked, until) = burst(30, |i| password_attempt(&s, "gus", &format!("no-{i}")));
        assert!(
            checked <= 10,
            "{backend:?}: {checked} of 30 concurrent guesses"
        );
        // Burst after burst, each once the delay is over, until the lock: ten in all.
        let (mut total, mut until) = (checked, until);
        while let Some(wait) = until.filter(|_| total < 10) {
            s.clock.advance(wait - now(&s));
            let (checked, next) = burst(10, |i| password_attempt(&s, "gus", &format!("x-{i}")));
            assert!(
                checked >= 1,
                "{backend:?}: a guess after the delay is checked"
            );
            total += checked;
            until = next;
        }
        assert_eq!(total, 10, "{backend:?}: guesses checked before the lock");
        let right = password_attempt(&s, "gus", "Gus-Passw0rd!");
        assert!(
            matches!(
                right,
                Outcome::Refused(Refusal::Blocked { locked: true, .. })
            ),
            "{backend:?}: the right password waits out the lock: {right:?}"
        );
    }
}

/// A few right passwords at once (one person's tabs, a script) do not hold each other up.
#[test]
fn concurrent_right_passwords_all_sign_in() {
    let s = setup_on(crate::harness::Backend::Sqlite);
    user_with_password(&s, "hal", "Hal-Passw0rd!");
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| password_attempt(&s, "hal", "Hal-Passw0rd!")))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for outcome in outcomes {
        assert!(matches!(outcome, Outcome::Session { .. }), "{outcome:?}");
    }
}

/// The root user with an authenticator app whose seed the test knows, signed in with its
/// password and owing the code.
fn root_owing_a_code(s: &Setup) -> (String, Session, [u8; 20]) {
    let seed = [7u8; 20];
    let step =
        |s: &Setup| u64::try_from(now(s).and_utc().timestamp()).unwrap() / totp::STEP_SECONDS;
    let call = keyward::iam::Call {
        account_id: s.account.clone(),
        actor_arn: format!("arn:aws:iam::{}:root", s.account),
        meta: RequestMeta::default(),
    };
    keyward::iam::mfa::assign_new_virtual(
        &s.portal.ctx,
        &call,
        &keyward::iam::mfa::Owner::Root(s.account.clone()),
        "phone",
        &seed,
        &totp::code_at_step(&seed, step(s) - 1).unwrap(),
        &totp::code_at_step(&seed, step(s)).unwrap(),
    )
    .unwrap();
    // The enrolment spent this step's code: move on to a fresh one.
    s.clock.advance(chrono::Duration::seconds(60));
    let (cookie, session) = session_of(s, password_attempt(s, "root", &s.root_password.clone()));
    assert_eq!(session.stage, Stage::Mfa);
    (cookie, session, seed)
}

fn code_now(s: &Setup, seed: &[u8]) -> String {
    let step = u64::try_from(now(s).and_utc().timestamp()).unwrap() / totp::STEP_SECONDS;
    totp::code_at_step(seed, step).unwrap()
}

fn wrong_code(s: &Setup, seed: &[u8], i: usize) -> String {
    let right = code_now(s, seed);
    let code = format!("{:06}", 100_000 + i);
    if code == right {
        "000000".into()
    } else {
        code
    }
}

#[test]
fn concurrent_wrong_codes_meet_the_block_and_a_session_ends_after_five() {
    for backend in BACKENDS {
        let s = setup_on(backend);
        let (cookie, session, seed) = root_owing_a_code(&s);
        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..50)
                .map(|i| {
                    let (s, session, seed) = (&s, &session, &seed);
                    scope.spawn(move || {
                        let code = wrong_code(s, seed, i);
                        keyward::portal::second_step::with_code(&s.portal, session, &code, &meta())
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let checked = outcomes
            .iter()
            .filter(|o| **o == Outcome::Refused(Refusal::Incorrect))
            .count();
        let ended = outcomes.contains(&Outcome::Refused(Refusal::SessionEnded));
        // At most five are checked (the session's own count locks at five), whether the checks
        // end before the last ones are reserved (then the delays refuse those) or not.
        assert!(
            checked <= 5,
            "{backend:?}: {checked} of 50 concurrent codes checked"
        );
        // Wrong codes one at a time, each after its delay, until the fifth ends the session.
        let mut wrong = checked;
        while !ended && wrong < 5 {
            let code = wrong_code(&s, &seed, wrong);
            match keyward::portal::second_step::with_code(&s.portal, &session, &code, &meta())
                .unwrap()
            {
                Outcome::Refused(Refusal::Blocked { until, .. }) => {
                    s.clock.advance(until - now(&s))
                }
                Outcome::Refused(Refusal::Incorrect) => wrong += 1,
                Outcome::Refused(Refusal::SessionEnded) => break,
                other => panic!("{backend:?}: {other:?}"),
            }
        }
        assert!(
            sessions::load(&s.portal.ctx, s.portal.lifetimes, &cookie)
                .unwrap()
                .is_none(),
            "{backend:?}: the session is gone after five wrong codes"
        );
        // Signed in again with the password, the right code waits out the delay that the
        // user's wrong codes set, then works.
        let (_, again) = session_of(&s, password_attempt(&s, "root", &s.root_password.clone()));
        let code = |s: &Setup| {
            keyward::portal::second_step::with_code(&s.portal, &again, &code_now(s, &seed), &meta())
                .unwrap()
        };
        let Outcome::Refused(Refusal::Blocked { until, .. }) = code(&s) else {
            panic!("{backend:?}: the right code came before the delay ended");
        };
        s.clock.advance(until - now(&s));
        assert!(matches!(code(&s), Outcome::Session { .. }), "{backend:?}");
    }
}

/// A user renamed to the root login (as a store from before names were reserved may hold)
/// stays that user: sessions and passkeys name principals by id, never by name.
#[test]
fn a_user_renamed_to_the_root_login_is_still_that_user() {
    use diesel::prelude::*;
    use keyward::storage::schema::users;
    let s = setup_on(crate::harness::Backend::Sqlite);
    user_with_password(&s, "bob", "Bob-Passw0rd!");
    let (_, bob) = session_of(&s, password_attempt(&s, "bob", "Bob-Passw0rd!"));
    let bob_id = bob
        .principal
        .user_id()
        .map(str::to_string)
        .expect("bob is an IAM user");
    s.portal
        .ctx
        .store
        .write(|conn| {
            diesel::update(users::table.find(&bob_id))
                .set(users::name.eq("ROOT"))
                .execute(conn)
                .map_err(keyward::storage::StorageError::from)
        })
        .unwrap();
    // The root user's password does not re-authenticate bob's session.
    let root_password = SecretString::from(s.root_password.clone());
    assert_eq!(
        signin::reauthenticate(&s.portal, &bob, &root_password, &meta()).unwrap(),
        Some(Refusal::Incorrect)
    );
    // A passkey of bob's opens a session of bob's.
    let key = keyward::iam::mfa::StoredSecurityKey {
        serial_number: "arn:aws:iam::000000000000:u2f/user/ROOT/none".into(),
        account_id: s.account.clone(),
        owner: keyward::iam::mfa::Owner::User(bob_id.clone()),
        passkey: true,
        credential: String::new(),
    };
    let (_, session) = session_of(
        &s,
        keyward::portal::second_step::with_passkey(&s.portal, &key, None, &meta()).unwrap(),
    );
    assert_eq!(session.principal.user_id(), Some(bob_id.as_str()));
}

/// Signs `user` in from a browser that becomes known; returns its device token.
fn sign_in_on_a_known_device(s: &Setup, user: &str, password: &str) -> String {
    let attempt = Attempt {
        account: s.account.clone(),
        user_name: user.into(),
        password: SecretString::from(password.to_string()),
        device: None,
    };
    let signin::PasswordStep::Check(check) =
        signin::prepare_password(&s.portal, &attempt, &meta()).unwrap()
    else {
        panic!("not throttled yet");
    };
    let token = check.device_token(&s.portal).unwrap();
    let random = s.portal.ctx.random.clone();
    let verified = signin::verify_password(&check, &attempt.password, random.as_ref()).unwrap();
    session_of(
        s,
        signin::finish_password(&s.portal, &attempt, check, verified, &meta()).unwrap(),
    );
    token
}

fn attempt_from(s: &Setup, user: &str, password: &str, device: Option<&str>, ip: &str) -> Outcome {
    signin::with_password(
        &s.portal,
        &Attempt {
            account: s.account.clone(),
            user_name: user.into(),
            password: SecretString::from(password.to_string()),
            device: device.map(str::to_string),
        },
        &meta_from(ip),
    )
    .unwrap()
}

/// Someone who knows only a user name locks its sign-in from every browser but those where
/// its owner already signed in: those count their own failures.
#[test]
fn a_lock_set_by_guessers_spares_the_owners_known_browsers() {
    let s = setup_on(crate::harness::Backend::Sqlite);
    user_with_password(&s, "ida", "Ida-Passw0rd!");
    let token = sign_in_on_a_known_device(&s, "ida", "Ida-Passw0rd!");
    // The guesser, from its own addresses, until the shared key is locked.
    let mut guesses = 0;
    loop {
        let ip = format!("198.51.100.{}", guesses % 200 + 1);
        match attempt_from(&s, "ida", "guess", None, &ip) {
            Outcome::Refused(Refusal::Incorrect) => guesses += 1,
            Outcome::Refused(Refusal::Blocked { locked: true, .. }) => break,
            Outcome::Refused(Refusal::Blocked { until, .. }) => s.clock.advance(until - now(&s)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(guesses, 10);
    let unknown = attempt_from(&s, "ida", "Ida-Passw0rd!", None, "192.0.2.7");
    assert!(matches!(
        unknown,
        Outcome::Refused(Refusal::Blocked { locked: true, .. })
    ));
    // A forged or someone else's token is no known device.
    let forged = format!("{}.{}", &token[..22], "A".repeat(43));
    let refused = attempt_from(&s, "ida", "Ida-Passw0rd!", Some(&forged), "192.0.2.7");
    assert!(matches!(refused, Outcome::Refused(Refusal::Blocked { .. })));
    // The owner's browser signs in.
    let known = attempt_from(&s, "ida", "Ida-Passw0rd!", Some(&token), "192.0.2.7");
    assert!(matches!(known, Outcome::Session { .. }), "{known:?}");
    // And its own wrong guesses are throttled like anyone's.
    let mut checked = 0;
    while let Outcome::Refused(Refusal::Incorrect) =
        attempt_from(&s, "ida", "typo", Some(&token), "192.0.2.7")
    {
        checked += 1;
    }
    assert_eq!(
        checked, 4,
        "three free failures and the one that starts the delay"
    );
}
