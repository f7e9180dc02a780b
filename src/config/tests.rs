use super::*;

fn serve(args: ServeArgs) -> Result<Settings, ConfigError> {
    args.resolve()
}

#[test]
fn defaults_are_the_documented_ones() {
    let s = serve(ServeArgs::default()).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert!(
        s.public_url.is_none(),
        "derived from the bound address at start"
    );
    assert_eq!(s.region, "us-east-1");
    assert_eq!(s.store.data_dir, PathBuf::from("var"));
    assert!(
        matches!(&s.store.database, DatabaseTarget::Sqlite(p) if p == &PathBuf::from("var/keyward.db"))
    );
    assert_eq!(s.log_format, LogFormat::Auto);
    assert_eq!(s.audit_retention_days, 365);
    assert_eq!(s.users_per_account, 5000, "AWS's quota unless raised");
}

#[test]
fn file_settings_sit_between_defaults_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:9000\"\nregion = \"eu-west-1\"\n",
    )
    .unwrap();
    let mut args = ServeArgs::default();
    args.store.config = Some(path.clone());
    args.region = Some("ap-south-1".into());
    let s = serve(args).unwrap();
    assert_eq!(s.listen.port(), 9000, "the file overrides the default");
    assert_eq!(
        s.region, "ap-south-1",
        "a flag or variable overrides the file"
    );
}

#[test]
fn unknown_keys_in_the_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").unwrap();
    let mut args = ServeArgs::default();
    args.store.config = Some(path);
    let err = serve(args).unwrap_err().to_string();
    assert!(err.contains("lisen"), "{err}");
}

#[test]
fn bad_values_name_the_setting() {
    let cases: Vec<(ServeArgs, &str)> = vec![
        (
            ServeArgs {
                listen: Some("localhost".into()),
                ..Default::default()
            },
            "invalid listen",
        ),
        (
            ServeArgs {
                public_url: Some("ftp://x".into()),
                ..Default::default()
            },
            "invalid public_url",
        ),
        (
            ServeArgs {
                log_format: Some("xml".into()),
                ..Default::default()
            },
            "invalid log_format",
        ),
        (
            ServeArgs {
                region: Some("US East".into()),
                ..Default::default()
            },
            "invalid region",
        ),
        (
            ServeArgs {
                trusted_proxies: Some(vec!["10.0.0.0/8".into(), "proxy.local".into()]),
                ..Default::default()
            },
            "invalid trusted_proxies",
        ),
        (
            ServeArgs {
                proxy_header: Some("x-real-ip".into()),
                ..Default::default()
            },
            "invalid proxy_header",
        ),
        (
            ServeArgs {
                audit_retention_days: Some(100_000),
                ..Default::default()
            },
            "invalid audit_retention_days",
        ),
        (
            ServeArgs {
                users_per_account: Some(0),
                ..Default::default()
            },
            "invalid users_per_account",
        ),
    ];
    for (args, want) in cases {
        let err = serve(args).unwrap_err().to_string();
        assert!(err.starts_with(want), "{err}");
    }
}

#[test]
fn database_url_picks_the_backend_from_its_scheme() {
    assert!(matches!(
        DatabaseTarget::parse("postgres://u:p@db:5432/k").unwrap(),
        DatabaseTarget::Postgres(_)
    ));
    assert!(matches!(
        DatabaseTarget::parse("sqlite:///tmp/k.db").unwrap(),
        DatabaseTarget::Sqlite(p) if p == Path::new("/tmp/k.db")
    ));
    for bad in ["mysql://x/y", "nonsense", "postgres://", "sqlite://"] {
        assert!(DatabaseTarget::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn secrets_come_from_files_and_never_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("url");
    std::fs::write(&path, "postgres://u:hunter2@db/k\n").unwrap();
    let args = StoreArgs {
        database_url_file: Some(path.clone()),
        ..Default::default()
    };
    let (store, _) = args.resolve().unwrap();
    assert_eq!(store.database.redacted(), "postgres://u:***@db/k");
    let both = StoreArgs {
        database_url_file: Some(path),
        database_url: Some(SecretString::from("postgres://x/y".to_string())),
        ..Default::default()
    };
    assert!(both.resolve().is_err());
}

#[test]
fn unknown_variables_are_reported() {
    let vars = ["KEYWARD_LISTEN", "KEYWARD_LISTN", "PATH", "KEYWARD_REGION"]
        .iter()
        .map(|s| s.to_string());
    assert_eq!(unknown_env_vars(vars), vec!["KEYWARD_LISTN".to_string()]);
}

#[test]
fn trusted_proxies_are_none_by_default_and_take_addresses_and_networks() {
    let s = serve(ServeArgs::default()).unwrap();
    assert!(
        s.trusted_proxies.networks.is_empty(),
        "no proxy is trusted by default"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.toml");
    std::fs::write(
        &path,
        "trusted_proxies = [\"127.0.0.1\", \"10.1.2.3/16\", \"::ffff:192.0.2.1\", \"fd00::/8\"]\nproxy_header = \"forwarded\"\n",
    )
    .unwrap();
    let mut args = ServeArgs::default();
    args.store.config = Some(path);
    let s = serve(args).unwrap();
    let nets: Vec<String> = s
        .trusted_proxies
        .networks
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        nets,
        ["127.0.0.1/32", "10.1.0.0/16", "192.0.2.1/32", "fd00::/8"],
        "one address is one host; a mapped address is made IPv4"
    );
    assert_eq!(s.trusted_proxies.header, ProxyHeader::Forwarded);
}
