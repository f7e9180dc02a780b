//! The sweep of expired state (`keyward::sweep::sweep_all`): with the clock moved on, expired
//! OpenID Connect rows (client secrets past their grace period too), ended console sessions, unanswered WebAuthn ceremonies and forgotten
//! throttle rows are deleted; live ones of each kind stay.

use crate::guessing::password_attempt;
use crate::harness::BACKENDS;
use crate::portal::with_a_fixed_clock::{now, setup_on, Setup};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use keyward::audit::RequestMeta;
use keyward::oidc::clients::{self, GrantType, NewClient};
use keyward::portal::signin::Outcome;
use keyward::storage::schema::{
    console_sessions, oidc_client_assertions as assertions,
    oidc_client_previous_secrets as previous, oidc_codes as codes, oidc_grants as grants,
    oidc_refresh_tokens as refresh, oidc_revoked_tokens as revoked, pending_signins,
    signin_throttle, web_identity_tokens, webauthn_ceremonies,
};
use keyward::storage::{DbConnection, StorageError};
use keyward::sweep::{sweep_all, Swept};

fn db<T>(s: &Setup, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> T {
    s.portal
        .ctx
        .store
        .write(|conn| f(conn).map_err(StorageError::from))
        .unwrap()
}

/// A grant of `client` ending at `end`, with a code, a refresh token, a revoked token id and
/// a client assertion id that end with it (the code ten minutes after `start`).
fn grant(s: &Setup, client: &str, id: &str, start: NaiveDateTime, end: NaiveDateTime) {
    db(s, |conn| {
        diesel::insert_into(grants::table)
            .values((
                grants::id.eq(id),
                grants::client_id.eq(client),
                grants::account_id.eq(&s.account),
                grants::subject.eq(client),
                grants::scope.eq("orders:read"),
                grants::auth_time.eq(start),
                grants::amr.eq("[]"),
                grants::acr.eq("0"),
                grants::created_at.eq(start),
                grants::expires_at.eq(end),
            ))
            .execute(conn)?;
        diesel::insert_into(codes::table)
            .values((
                codes::code_hash.eq(format!("code-{id}")),
                codes::grant_id.eq(id),
                codes::redirect_uri.eq("https://app.example/cb"),
                codes::expires_at.eq(start + Duration::minutes(10)),
            ))
            .execute(conn)?;
        diesel::insert_into(refresh::table)
            .values((
                refresh::token_hash.eq(format!("refresh-{id}")),
                refresh::grant_id.eq(id),
                refresh::created_at.eq(start),
                refresh::expires_at.eq(end),
            ))
            .execute(conn)?;
        diesel::insert_into(revoked::table)
            .values((
                revoked::jti.eq(format!("jti-{id}")),
                revoked::expires_at.eq(end),
            ))
            .execute(conn)?;
        diesel::insert_into(assertions::table)
            .values((
                assertions::client_id.eq(client),
                assertions::jti.eq(format!("jti-{id}")),
                assertions::expires_at.eq(end),
            ))
            .execute(conn)
    });
}

fn ceremony(s: &Setup, challenge: &str, end: NaiveDateTime) {
    db(s, |conn| {
        diesel::insert_into(webauthn_ceremonies::table)
            .values((
                webauthn_ceremonies::binding_hash.eq("browser"),
                webauthn_ceremonies::purpose.eq("signin"),
                webauthn_ceremonies::challenge.eq(challenge),
                webauthn_ceremonies::state.eq("{}"),
                webauthn_ceremonies::expires_at.eq(end),
            ))
            .execute(conn)
    });
}

struct Left {
    grants: Vec<String>,
    codes: Vec<String>,
    refresh: Vec<String>,
    revoked: Vec<String>,
    assertions: Vec<String>,
    previous: Vec<String>,
    sessions: usize,
    ceremonies: Vec<String>,
    throttle: Vec<String>,
}

fn left(s: &Setup) -> Left {
    db(s, |conn| {
        Ok(Left {
            grants: grants::table
                .select(grants::id)
                .order(grants::id)
                .load(conn)?,
            codes: codes::table.select(codes::code_hash).load(conn)?,
            refresh: refresh::table.select(refresh::token_hash).load(conn)?,
            revoked: revoked::table.select(revoked::jti).load(conn)?,
            assertions: assertions::table.select(assertions::jti).load(conn)?,
            previous: previous::table.select(previous::client_id).load(conn)?,
            sessions: console_sessions::table
                .count()
                .get_result::<i64>(conn)?
                .try_into()
                .unwrap(),
            ceremonies: webauthn_ceremonies::table
                .select(webauthn_ceremonies::challenge)
                .load(conn)?,
            throttle: signin_throttle::table
                .select(signin_throttle::throttle_key)
                .order(signin_throttle::throttle_key)
                .load(conn)?,
        })
    })
}

#[test]
fn the_sweep_deletes_expired_rows_and_keeps_live_ones() {
    for backend in BACKENDS {
        let s = setup_on(backend);
        let t0 = now(&s);
        let call = keyward::iam::Call {
            account_id: s.account.clone(),
            actor_arn: "test".into(),
            meta: RequestMeta::default(),
        };
        let service = NewClient {
            name: "svc".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["orders:read".into()],
            ..NewClient::default()
        };
        let (client, _) = clients::create(&s.portal.ctx, &call, &service).unwrap();
        let client = client.client_id;
        // Secrets rotated with an hour's grace period, and with thirty days'.
        let (rotated, _) = clients::create(&s.portal.ctx, &call, &service).unwrap();
        let rotated = rotated.client_id;
        clients::rotate_secret(&s.portal.ctx, &call, &client, Duration::hours(1)).unwrap();
        clients::rotate_secret(&s.portal.ctx, &call, &rotated, Duration::days(30)).unwrap();
        grant(&s, &client, "ended", t0, t0 + Duration::hours(1));
        grant(&s, &client, "live", t0, t0 + Duration::days(30));
        ceremony(&s, "unanswered", t0 + Duration::minutes(5));
        // A session left idle, and two wrong guesses (a user key and the address key).
        assert!(matches!(
            password_attempt(&s, "root", &s.root_password),
            Outcome::Session { .. }
        ));
        password_attempt(&s, "nobody", "wrong");
        // A key locked far beyond its quiet hour stays while locked.
        db(&s, |conn| {
            diesel::insert_into(signin_throttle::table)
                .values((
                    signin_throttle::throttle_key.eq("user:locked"),
                    signin_throttle::failures.eq(10),
                    signin_throttle::last_failure_at.eq(t0),
                    signin_throttle::blocked_until.eq(t0 + Duration::hours(5)),
                ))
                .execute(conn)
        });

        s.clock.advance(Duration::hours(2));
        let t2 = now(&s);
        ceremony(&s, "under-way", t2 + Duration::minutes(5));
        assert!(matches!(
            password_attempt(&s, "root", &s.root_password),
            Outcome::Session { .. }
        ));
        password_attempt(&s, "eve", "wrong");
        // A web identity token's id past its token's end, and one still live; a pending
        // directory sign-in long abandoned, and one just made.
        db(&s, |conn| {
            for (jti, end) in [
                ("jti-ended", t2 - Duration::minutes(1)),
                ("jti-alive", t2 + Duration::hours(1)),
            ] {
                diesel::insert_into(web_identity_tokens::table)
                    .values((
                        web_identity_tokens::role_id.eq("AROAEXAMPLE"),
                        web_identity_tokens::jti.eq(jti),
                        web_identity_tokens::expires_at.eq(end),
                    ))
                    .execute(conn)?;
            }
            diesel::insert_into(pending_signins::table)
                .values((
                    pending_signins::id_hash.eq("abandoned"),
                    pending_signins::sealed.eq("x"),
                    pending_signins::expires_at.eq(t2 - Duration::minutes(30)),
                ))
                .execute(conn)
        });
        let waiting =
            keyward::signin::pending::put(&s.portal.ctx, &"picking", Duration::minutes(10))
                .unwrap();
        let before = left(&s);
        assert_eq!(before.sessions, 2);
        assert_eq!(before.throttle.len(), 4, "{:?}", before.throttle);

        let swept = sweep_all(&s.portal, t2).unwrap();
        assert_eq!(
            swept,
            Swept {
                // Both codes, and the ended grant's refresh token, revoked token id,
                // assertion id and the grant itself; the secret whose grace period ended; the
                // ended web identity token's id.
                oidc: 8,
                // The idle session and the abandoned sign-in.
                sessions: 2,
                ceremonies: 1,
                throttle: 1,
            }
        );
        let after = left(&s);
        assert_eq!(after.grants, ["live"]);
        assert!(
            after.codes.is_empty(),
            "both codes expired: {:?}",
            after.codes
        );
        assert_eq!(after.refresh, ["refresh-live"]);
        assert_eq!(after.revoked, ["jti-live"]);
        assert_eq!(after.assertions, ["jti-live"]);
        assert_eq!(after.previous, [rotated]);
        assert_eq!(
            after.sessions, 1,
            "the idle session is gone, the new one stays"
        );
        assert_eq!(after.ceremonies, ["under-way"]);
        let nobody = format!("user:{}:nobody", s.account);
        assert!(!after.throttle.contains(&nobody), "{:?}", after.throttle);
        assert!(after.throttle.contains(&"user:locked".to_string()));
        assert!(after.throttle.contains(&format!("user:{}:eve", s.account)));
        assert!(after.throttle.iter().any(|k| k.starts_with("ip:")));
        let jtis: Vec<String> = db(&s, |conn| {
            web_identity_tokens::table
                .select(web_identity_tokens::jti)
                .load(conn)
        });
        assert_eq!(jtis, ["jti-alive"]);
        assert_eq!(
            keyward::signin::pending::get::<String>(&s.portal.ctx, &waiting)
                .unwrap()
                .as_deref(),
            Some("picking")
        );
        // Nothing more is due.
        assert_eq!(sweep_all(&s.portal, t2).unwrap(), Swept::default());
    }
}
