//! Secrets sealed before per-purpose sealing keys (the `v1` scheme: the master key itself)
//! still open after an upgrade: a server on a store whose access-key secrets, TOTP seeds and
//! OIDC signing keys are all `v1` authenticates, checks codes and signs as before.

use crate::harness::{Backend, Server, TestDb};
use crate::portal::{account, enable_totp, now_step};
use crate::signer::{element, Client};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use diesel::prelude::*;
use keyward::auth::totp;
use keyward::secrets::{ExposeSecret, MasterKey, SecretString};
use keyward::storage::schema::{access_keys, mfa_devices, oidc_signing_keys};
use keyward::storage::{DbConnection, StorageError, Store};

/// A value as the `v1` scheme sealed it.
fn seal_v1(master: &[u8; 32], purpose: &str, plain: &[u8]) -> String {
    let mut nonce = [0u8; 12];
    keyward::clock::Random::fill(&keyward::clock::SystemRandom, &mut nonce);
    let payload = Payload {
        msg: plain,
        aad: purpose.as_bytes(),
    };
    let ciphertext = Aes256Gcm::new(master.into())
        .encrypt(&Nonce::from(nonce), payload)
        .unwrap();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    format!("v1.{}", data_encoding::BASE64.encode(&out))
}

/// Re-seals every stored secret (their purposes are part of the stored format) as `v1`.
fn downgrade(conn: &mut DbConnection, key: &MasterKey, raw: &[u8; 32]) -> usize {
    let again = |purpose: &str, sealed: &str| {
        assert!(sealed.starts_with("v2."), "{sealed}");
        let plain = key.open(purpose, sealed).unwrap();
        seal_v1(raw, purpose, plain.expose_secret())
    };
    let mut changed = 0;
    let keys: Vec<(String, String)> = access_keys::table
        .select((access_keys::id, access_keys::sealed_secret))
        .load(conn)
        .unwrap();
    for (id, sealed) in keys {
        let old = again(&format!("access-key:{id}"), &sealed);
        changed += diesel::update(access_keys::table.find(&id))
            .set(access_keys::sealed_secret.eq(old))
            .execute(conn)
            .unwrap();
    }
    let seeds: Vec<(String, Option<String>)> = mfa_devices::table
        .select((mfa_devices::serial_number, mfa_devices::sealed_seed))
        .load(conn)
        .unwrap();
    for (serial, sealed) in seeds {
        let Some(sealed) = sealed else { continue };
        let old = again(&format!("mfa-seed:{serial}"), &sealed);
        changed += diesel::update(mfa_devices::table.find(&serial))
            .set(mfa_devices::sealed_seed.eq(Some(old)))
            .execute(conn)
            .unwrap();
    }
    let signing: Vec<(String, String)> = oidc_signing_keys::table
        .select((
            oidc_signing_keys::kid,
            oidc_signing_keys::sealed_private_key,
        ))
        .load(conn)
        .unwrap();
    for (kid, sealed) in signing {
        let old = again("oidc-signing-key", &sealed);
        changed += diesel::update(oidc_signing_keys::table.find(&kid))
            .set(oidc_signing_keys::sealed_private_key.eq(old))
            .execute(conn)
            .unwrap();
    }
    changed
}

#[test]
fn a_store_of_secrets_sealed_the_old_way_still_works_after_an_upgrade() {
    let db = TestDb::new(Backend::Sqlite);
    let server = Server::start(&db, &[]);
    let admin = Client::for_server(&server, &db);
    let account = account(&server);
    assert_eq!(
        admin
            .post(&[("Action", "CreateUser"), ("UserName", "olga")])
            .status,
        200
    );
    let made = admin.post(&[("Action", "CreateAccessKey"), ("UserName", "olga")]);
    let olga = Client {
        key: element(&made.body, "AccessKeyId").to_string(),
        secret: element(&made.body, "SecretAccessKey").to_string(),
        ..admin.clone()
    };
    let seed = enable_totp(&admin, "olga");
    let jwks = reqwest::blocking::get(format!("{}/oauth2/jwks", server.url)).unwrap();
    assert_eq!(jwks.status(), 200);
    server.stop();

    let key_text = std::fs::read_to_string(db.data_dir().join("master.key")).unwrap();
    let raw: [u8; 32] = data_encoding::BASE64
        .decode(key_text.trim().as_bytes())
        .unwrap()
        .try_into()
        .unwrap();
    let master = MasterKey::from_base64(&SecretString::from(key_text)).unwrap();
    let store = Store::open(&db.store_settings()).unwrap();
    let changed = store
        .write(|conn| Ok::<_, StorageError>(downgrade(conn, &master, &raw)))
        .unwrap();
    assert!(
        changed >= 4,
        "two access keys, a seed and a signing key: {changed}"
    );
    drop(store);

    let server = Server::start(&db, &[]);
    let admin = Client {
        url: server.url.clone(),
        ..admin
    };
    let olga = Client {
        url: server.url.clone(),
        ..olga
    };
    let listed = admin.post(&[("Action", "ListUsers")]);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let who = olga.sts().post(&[("Action", "GetCallerIdentity")]);
    assert_eq!(who.status, 200, "{}", who.body);
    assert!(who
        .body
        .contains(&format!("arn:aws:iam::{account}:user/olga")));
    let serial = format!("arn:aws:iam::{account}:mfa/olga");
    let code = totp::code_at_step(&seed, now_step()).unwrap();
    let with_mfa = olga.sts().post(&[
        ("Action", "GetSessionToken"),
        ("SerialNumber", &serial),
        ("TokenCode", &code),
    ]);
    assert_eq!(with_mfa.status, 200, "{}", with_mfa.body);
    let jwks: serde_json::Value = reqwest::blocking::get(format!("{}/oauth2/jwks", server.url))
        .unwrap()
        .json()
        .unwrap();
    assert!(!jwks["keys"].as_array().unwrap().is_empty(), "{jwks}");
}
