//! The secrets detector against its corpus, its edge cases and any input.

use super::corpus::{LOOK_ALIKES, SECRETS};
use super::*;

#[test]
fn every_secret_of_the_corpus_is_recognised_for_its_reason() {
    assert!(SECRETS.len() >= 40, "{} secrets", SECRETS.len());
    let wrong: Vec<String> = SECRETS
        .iter()
        .filter(|(name, value, kind)| is_secret(name, value) != Some(*kind))
        .map(|(name, value, kind)| {
            format!(
                "{name}={value:?}: {:?}, not {kind:?}",
                is_secret(name, value)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (name, value, _) in SECRETS {
        assert_eq!(display_env_value(name, value), REDACTED, "{name}");
    }
}

#[test]
fn every_look_alike_of_the_corpus_stays_visible() {
    assert!(LOOK_ALIKES.len() >= 20, "{} look-alikes", LOOK_ALIKES.len());
    let wrong: Vec<String> = LOOK_ALIKES
        .iter()
        .filter_map(|(name, value)| {
            is_secret(name, value).map(|kind| format!("{name}={value:?}: {kind:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for (name, value) in LOOK_ALIKES {
        assert_eq!(display_env_value(name, value), sanitize(value), "{name}");
    }
}

/// The value's shape speaks whatever the name: the corpus's secrets under
/// a neutral name are still secrets (but those only the name gives away).
#[test]
fn value_shapes_do_not_need_the_name() {
    for (_, value, kind) in SECRETS.iter().filter(|(_, _, k)| *k != SecretKind::Name) {
        assert_eq!(is_secret("X", value), Some(*kind), "{value}");
    }
}

#[test]
fn names_are_read_by_their_segments() {
    let seg = |n: &str| segments(n, &mut Meter::default()).join(" ");
    assert_eq!(seg("DB_PASS"), "DB PASS");
    assert_eq!(seg("dbPassword"), "DB PASSWORD");
    assert_eq!(seg("DBPassword"), "DB PASSWORD");
    assert_eq!(seg("db.pwd"), "DB PWD");
    assert_eq!(seg("x-api-key"), "X API KEY");
    assert_eq!(seg("APIKey2"), "API KEY 2");
    assert_eq!(seg("__"), "");
    for name in [
        "DB_PASS",
        "dbPassword",
        "db.pwd",
        "GITHUB_TOKEN",
        "githubToken",
        "accesstoken",
        "AWS_ACCESS_KEY_ID",
        "x-api-key",
        "STRIPE_KEY",
        "ENCRYPTION_KEY_B64",
        "BASIC_AUTH",
        "WEBHOOK_SIGNATURE",
        "SLACK_WEBHOOK_URL",
        "DB_CONNECTION_STRING",
        "SECRET_KEY_BASE",
        "CLIENT_CREDENTIALS",
        "PASSPHRASE",
        "KEY",
    ] {
        assert!(is_secret(name, "plain-value").is_some(), "{name}");
    }
    for name in [
        "PASSENGER_COUNT",
        "BYPASS_CACHE",
        "KEYSPACE",
        "TOKENIZER_MODEL",
        "COMPASS_URL",
        "SESSION_STORE",
        "COOKIE_NAME",
        "AUTH_SERVICE_URL",
        "PUBLIC_KEY",
        "CACHE_KEY",
        "PASSPORT_STRATEGY",
        "KEY_ID",
        "MONKEY_COUNT",
    ] {
        assert_eq!(is_secret(name, "plain-value"), None, "{name}");
    }
}

/// A name ending in what the value is about shows a value of that shape
/// only; anything else under it stays hidden.
#[test]
fn qualified_names_show_only_harmless_values() {
    assert_eq!(is_secret("TOKEN_TTL_SECONDS", "3600"), None);
    assert_eq!(is_secret("TOKEN_TTL_SECONDS", "15m"), None);
    assert_eq!(
        is_secret("TOKEN_TTL_SECONDS", "hunter2"),
        Some(SecretKind::Name)
    );
    assert_eq!(is_secret("PASSWORD_FILE", "/run/secrets/db"), None);
    assert_eq!(
        is_secret("PASSWORD_FILE", "hunter2"),
        Some(SecretKind::Name)
    );
    assert_eq!(
        is_secret("TOKEN_URL", "https://auth.example.com/token"),
        None
    );
    // A webhook's URL is its secret.
    assert_eq!(
        is_secret("SLACK_WEBHOOK_URL", "https://chat.example.com/notify"),
        Some(SecretKind::Name)
    );
    assert_eq!(is_secret("SECRET_NAME", "prod/db"), None);
    assert_eq!(
        is_secret("SECRET_NAME", "not a name, a sentence"),
        Some(SecretKind::Name)
    );
    assert_eq!(is_secret("PWD", "hunter2"), Some(SecretKind::Name));
}

#[test]
fn a_url_password_is_whatever_is_before_the_last_at() {
    for url in [
        "redis://:ab/cd@host:6379",
        "redis://:a@b@host",
        "postgres://u:p#w?d@db/app",
        "https://u:p@host",
        "x jdbc:mysql://u:p@db/app y",
    ] {
        assert_eq!(is_secret("X", url), Some(SecretKind::UrlUserInfo), "{url}");
    }
    for url in [
        "https://host/@user",
        "https://host:8443/@user",
        "https://host/a?b=c:d&e=f@g",
        "https://u@host",
        "https://u:@host",
        "ssh://git@github.com:org/repo.git",
        "git@github.com:org/repo.git",
        "https://example.com/redirect?to=https://other.com/@me",
    ] {
        assert_eq!(is_secret("X", url), None, "{url}");
    }
}

#[test]
fn a_private_key_is_found_anywhere_and_a_certificate_is_not_one() {
    let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIfake\n-----END EC PRIVATE KEY-----";
    assert_eq!(is_secret("X", key), Some(SecretKind::Pem));
    assert_eq!(
        is_secret("X", &format!("cert and key: {key}")),
        Some(SecretKind::Pem)
    );
    assert_eq!(
        is_secret("X", "-----BEGIN PGP PRIVATE KEY BLOCK-----"),
        Some(SecretKind::Pem)
    );
    assert_eq!(is_secret("X", "-----BEGIN "), Some(SecretKind::Pem));
    assert_eq!(
        is_secret(
            "CA",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
        ),
        None
    );
}

#[test]
fn a_changed_secret_says_so_without_its_value() {
    let change = |b: Option<&str>, a: Option<&str>| display_env_change("DB_PASSWORD", b, a);
    assert_eq!(
        change(Some("old"), Some("new")),
        (REDACTED.to_string(), REDACTED_CHANGED.to_string())
    );
    assert_eq!(
        change(Some("same"), Some("same")),
        (REDACTED_SAME.to_string(), REDACTED_SAME.to_string())
    );
    assert_eq!(
        change(None, Some("new")),
        ("-".to_string(), REDACTED.to_string())
    );
    assert_eq!(
        change(Some("old"), None),
        (REDACTED.to_string(), "-".to_string())
    );
    // One side secret by its shape hides both.
    let url = display_env_change(
        "DATABASE_URL",
        Some("postgres://db:5432/app"),
        Some("postgres://app:hunter2@db:5432/app"),
    );
    assert_eq!(url, (REDACTED.to_string(), REDACTED_CHANGED.to_string()));
    assert_eq!(
        display_env_change("LOG_LEVEL", Some("info"), Some("debug\x1b")),
        ("info".to_string(), "debug?".to_string())
    );
    assert_eq!(
        display_env_change("LOG_LEVEL", None, None),
        ("-".to_string(), "-".to_string())
    );
}

/// Inputs built to make a careless scan go quadratic: the same opening of
/// a pattern over and over, never finished.
fn adversarial(n: usize) -> Vec<String> {
    [
        "eyJ",
        "eyJaaaaaaaaaaaaa.",
        "-----BEGIN ",
        "sk-",
        "SG.",
        "=",
        "a=",
        "\":",
        "@",
        ":@",
        "a:b@",
        "://",
        "/webhook/",
        "/hooks/a",
        "bearer ",
        "Bearer  ",
        "basic",
        "AKIA",
        "ghp_",
        "xoxb-",
        "a b c d ",
        "aB3",
        "/",
        "-",
        ".",
        "dp.st.",
    ]
    .iter()
    .map(|p| p.repeat(n / p.len() + 1))
    .collect()
}

/// Linear work: the meter stays under a constant per byte whatever the
/// input, so no value can make redaction slow.
const WORK_PER_BYTE: usize = 200;

fn work(name: &str, value: &str) -> usize {
    let mut m = Meter::default();
    detect(name, value, &mut m);
    m.work()
}

#[test]
fn redaction_work_is_linear_in_the_value() {
    for n in [1_000, 10_000, 40_000] {
        for value in adversarial(n) {
            let w = work("X", &value);
            assert!(
                w <= WORK_PER_BYTE * (value.len() + 1),
                "{w} for {} bytes of {:?}",
                value.len(),
                &value[..12]
            );
        }
    }
    let long_name = "a_".repeat(20_000);
    assert!(work(&long_name, "x") <= WORK_PER_BYTE * (long_name.len() + 1));
}

fn fragment() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        proptest::sample::select(vec![
            "eyJ",
            ".",
            "=",
            "@",
            ":",
            "//",
            "://",
            "-----BEGIN ",
            "PRIVATE",
            "-----",
            "sk-",
            "ghp_",
            "AKIA",
            "Bearer ",
            "Basic ",
            "password",
            "Password=",
            "/webhook/",
            "hooks.slack.com/services/",
            "\"",
            ";",
            "&",
            "?",
            "#",
            " ",
            "\n",
            "sha256:",
        ])
        .prop_map(str::to_string),
        "[A-Za-z0-9+/_-]{1,12}",
        any::<char>().prop_map(String::from),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Never a panic, and linear work, for any name and value up to 10 KB.
    #[test]
    fn any_value_is_judged_without_panic_in_linear_work(
        name in ".{0,40}",
        parts in proptest::collection::vec(fragment(), 0..1500),
    ) {
        let value: String = parts.concat();
        let value = match value.char_indices().nth(10_240) {
            Some((cut, _)) => &value[..cut],
            None => value.as_str(),
        };
        let w = work(&name, value);
        proptest::prop_assert!(w <= WORK_PER_BYTE * (value.len() + name.len() + 1), "{}", w);
        let shown = display_env_value(&name, value);
        proptest::prop_assert!(shown == REDACTED || shown == sanitize(value));
    }

    /// Any characters at all.
    #[test]
    fn any_text_is_judged_without_panic(name in ".{0,64}", value in ".{0,512}") {
        let _ = is_secret(&name, &value);
        let _ = display_env_change(&name, Some(&value), Some(&name));
    }

    /// A secret stays hidden wherever it sits in a longer value.
    #[test]
    fn a_secret_shape_is_found_inside_other_text(
        i in 0..SECRETS.len(),
        before in "[a-z ]{0,20}",
        after in "[ ;,][a-z ]{0,20}",
    ) {
        let (_, value, kind) = SECRETS[i];
        if kind != SecretKind::Name {
            let text = format!("{before} {value}{after}");
            proptest::prop_assert!(is_secret("X", &text).is_some(), "{}", text);
        }
    }
}

#[test]
fn without_a_scheme_only_user_password_host_port_counts() {
    assert_eq!(
        is_secret("X", "default:pw@shared-redis.internal:6379"),
        Some(SecretKind::UrlUserInfo)
    );
    assert_eq!(
        is_secret("X", "proxy-user:pw@proxy:3128"),
        Some(SecretKind::UrlUserInfo)
    );
    assert_eq!(is_secret("X", "nginx:1.25@sha256:0123456789abcdef"), None);
    assert_eq!(is_secret("X", "Support:support@example.com"), None);
}

#[test]
fn random_strings_are_told_from_long_names() {
    for random in [
        "Zq8vN3kR7wLp2XyT9bHc4MfJ6sDg1QaE5uWn0KoV7",
        "k3J9xQ2mZ8pL5vR1wT7yB4nC6hF0dG2sA9eU3iO",
        "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRo",
    ] {
        assert_eq!(
            is_secret("X", random),
            Some(SecretKind::HighEntropy),
            "{random}"
        );
    }
    for name in [
        "PaymentServiceApplicationKt2024Version",
        "ThisIsAVeryLongCamelCaseIdentifierName12",
        "ThisIsAVeryLongCamelCaseIdentifierName123",
        "MyApplicationConfigurationServiceV2Impl",
        "com/api/v2/Users/12345/Orders/67890/Items",
    ] {
        assert_eq!(is_secret("X", name), None, "{name}");
    }
}

#[test]
fn secrets_are_recognised_by_name_and_by_value() {
    assert!(is_secret("DB_PASSWORD", "x").is_some());
    assert!(is_secret("AUTH_API_KEY", "x").is_some());
    assert!(is_secret("SENTRY_DSN", "https://a@b/1").is_some());
    assert!(is_secret("DATABASE_URL", "postgres://app:hunter2@db:5432/app").is_some());
    assert!(is_secret("X", "AKIAIOSFODNN7EXAMPLE").is_some());
    assert!(is_secret("NODE_ENV", "production").is_none());
    assert!(is_secret("API_URL", "http://backend:8080").is_none());
    assert_eq!(display_env_value("JWT_SECRET", "abc"), REDACTED);
}

#[test]
fn a_command_shows_its_arguments_but_their_secrets() {
    let shown = super::shown_args(&[
        "psql",
        "postgres://app:s3cret-Pa55@db.internal:5432/orders",
        "--db-password=hunter2-hunter2",
        "--password",
        "hunter2-hunter2",
        "DB_PASS=s3cr3t-Pa55-one",
        "--to",
        "42",
    ]);
    assert_eq!(
        shown,
        [
            "psql",
            "postgres://app:******@db.internal:5432/orders",
            "--db-password=****** (redacted)",
            "--password",
            "****** (redacted)",
            "DB_PASS=****** (redacted)",
            "--to",
            "42",
        ]
    );
}
