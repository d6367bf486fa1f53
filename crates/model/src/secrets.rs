//! Secrets in environment variables, recognised by the variable's name and
//! by the shape of its value, and the text shown in their place.
//!
//! [`is_secret`] is the one decision, with its reason ([`SecretKind`]).
//! The value is looked at first, for a shape only credentials have: a
//! password in a URL, a connection string or a query string, a private key,
//! a JWT, a bearer token, an access key, a webhook URL, a known token
//! prefix, a long random string. Then the name, by its segments (split on
//! `_`, `-`, `.`, spaces, camelCase and letter-digit boundaries), so
//! `DB_PASS`, `dbPassword` and `db.pwd` count and `PASSENGER_COUNT`,
//! `BYPASS_CACHE`, `KEYSPACE`, `TOKENIZER_MODEL` and `COMPASS_URL` do not.
//!
//! Names, the choices made:
//! - Words that mean a secret wherever they are (`PASSWORD`, `PASS`, `PWD`,
//!   `SECRET`, `TOKEN`, `CREDENTIALS`, `DSN`, `SALT`, `WEBHOOK`, ...), also
//!   at the end of a longer segment (`DBPASSWORD`, `accesstoken`,
//!   `REDISPASS`; not `BYPASS`, `COMPASS`).
//! - Words that mean a secret only as the last segment: `KEY` (not after
//!   `PUBLIC`, `PARTITION`, `SORT`, `CACHE`, ... where it names a key that
//!   is not a credential), `AUTH`, `AUTHORIZATION`, `PRIVATE`, `SIGNATURE`,
//!   `SIG`, `SIGNING`, `HMAC`, `JWT`, `BEARER`; so `BASIC_AUTH` and
//!   `SIGNING_KEY` count and `AUTH_SERVICE_URL` does not. Pairs such as
//!   `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `CONNECTION_STRING` count
//!   anywhere (`AWS_ACCESS_KEY_ID`).
//! - `SESSION` and `COOKIE` alone are not secrets (`SESSION_TIMEOUT`,
//!   `COOKIE_DOMAIN`); `SESSION_SECRET`, `COOKIE_KEY` are, by their other word.
//! - A name that ends in a word saying what the value is *about*
//!   (`TOKEN_TTL_SECONDS`, `PASSWORD_MIN_LENGTH`, `PASSWORD_FILE`,
//!   `DB_SECRET_ARN`, `TOKEN_URL`, `JWT_ALGORITHM`) shows its value only when
//!   the value has that harmless shape (a number, a boolean, a path, an
//!   ARN, a URL without credentials, a short word); anything else is hidden.
//! - An ARN is a reference (to a secret, a key, a role), never a secret.
//! - An empty value hides nothing.
//!
//! Not recognised (left to the name): hexadecimal keys (they look like the
//! digests and commit ids that must stay visible), base32 seeds and other
//! random strings without upper case, lower case and digits together.
//!
//! Every scan is linear in the length of the value; a meter counts the
//! work so tests can bound it.

use crate::text::sanitize;

/// Why a value is treated as a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// The variable's name says so.
    Name,
    /// A credential `key=value` pair: `Password=...;`, `"password": ...`.
    ConnectionString,
    /// A password in a URL's user information, `scheme://user:pass@host`.
    UrlUserInfo,
    /// A credential in a URL's query: `?password=`, `&sig=`, `X-Amz-Signature=`.
    QueryParam,
    /// A PEM private key block anywhere in the value, or a private key's
    /// base64 without its armour.
    Pem,
    /// A JSON Web Token, three base64url segments starting `eyJ`.
    Jwt,
    /// An HTTP `Bearer` or `Basic` credential.
    Bearer,
    /// An AWS access key id (`AKIA...`, `ASIA...`).
    AwsAccessKey,
    /// An AWS secret access key (40 characters of base64).
    AwsSecretKey,
    /// A webhook URL, whose path is its credential (Slack, Discord, Teams, ...).
    Webhook,
    /// A token with a known prefix (GitHub, GitLab, Slack, Stripe, Google,
    /// npm, SendGrid, Twilio, ...).
    KnownToken,
    /// A long random string: mixed case and digits, high Shannon entropy.
    HighEntropy,
}

impl SecretKind {
    /// In words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SecretKind::Name => "its name",
            SecretKind::ConnectionString => "a credential in a connection string",
            SecretKind::UrlUserInfo => "a password in a URL",
            SecretKind::QueryParam => "a credential in a URL's query",
            SecretKind::Pem => "a private key",
            SecretKind::Jwt => "a JSON Web Token",
            SecretKind::Bearer => "an HTTP credential",
            SecretKind::AwsAccessKey => "an AWS access key id",
            SecretKind::AwsSecretKey => "an AWS secret access key",
            SecretKind::Webhook => "a webhook URL",
            SecretKind::KnownToken => "an API token",
            SecretKind::HighEntropy => "a long random string",
        }
    }
}

/// Arguments as they may be shown: one shaped like a secret redacted, and
/// the value of a secret-named option (`--password=x`, `--password x`,
/// `DB_PASS=x`) too.
pub fn shown_args<S: AsRef<str>>(args: &[S]) -> Vec<String> {
    let named = |name: &str, value: &str| {
        let name = name.trim_start_matches('-');
        !name.is_empty() && is_secret(name, value).is_some()
    };
    let mut out: Vec<String> = Vec::with_capacity(args.len());
    let mut previous: Option<&str> = None;
    for arg in args.iter().map(AsRef::as_ref) {
        let shown = if let Some((name, value)) = arg.split_once('=')
            && named(name, value)
        {
            format!("{name}={REDACTED}")
        } else if is_secret("", arg).is_some() {
            // A URL's password alone, when that is all that was secret:
            // which host and database it reaches stays in sight.
            match without_url_password(arg) {
                Some((shown, bare)) if is_secret("", &bare).is_none() => shown,
                _ => REDACTED.to_string(),
            }
        } else if let Some(option) = previous.filter(|p| p.starts_with('-') && !p.contains('='))
            && named(option, arg)
        {
            REDACTED.to_string()
        } else {
            arg.to_string()
        };
        out.push(shown);
        previous = Some(arg);
    }
    out
}

/// A URL with a password in it as `scheme://user:******@host/...`, and
/// without the password at all (to check nothing else in it is secret).
fn without_url_password(arg: &str) -> Option<(String, String)> {
    let (scheme, rest) = arg.split_once("://")?;
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    let (user, _) = rest[..at].split_once(':')?;
    let after = &rest[at..];
    Some((
        format!("{scheme}://{user}:******{after}"),
        format!("{scheme}://{user}{after}"),
    ))
}

/// What a secret value shows as.
pub const REDACTED: &str = "****** (redacted)";
/// The new side of a secret that changed.
pub const REDACTED_CHANGED: &str = "****** (changed)";
/// Both sides of a secret that did not change.
pub const REDACTED_SAME: &str = "****** (same)";

/// Whether the environment variable `name=value` holds a secret, and why.
pub fn is_secret(name: &str, value: &str) -> Option<SecretKind> {
    detect(name, value, &mut Meter::default())
}

/// The value to show for an environment variable: [`REDACTED`] for a
/// secret, else the value made safe for a terminal.
pub fn display_env_value(name: &str, value: &str) -> String {
    if is_secret(name, value).is_some() {
        REDACTED.to_string()
    } else {
        sanitize(value)
    }
}

/// Before and after of one variable in a diff, `None` where it is absent
/// (shown as `-`). When either side is a secret both are hidden, and the
/// text still says whether it changed: [`REDACTED`] then
/// [`REDACTED_CHANGED`], or [`REDACTED_SAME`] twice.
pub fn display_env_change(
    name: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> (String, String) {
    let secret = |v: Option<&str>| v.is_some_and(|v| is_secret(name, v).is_some());
    if !(secret(before) || secret(after)) {
        let show = |v: Option<&str>| v.map_or_else(|| "-".to_string(), sanitize);
        return (show(before), show(after));
    }
    let (b, a) = match (before, after) {
        (Some(b), Some(a)) if b == a => (REDACTED_SAME, REDACTED_SAME),
        (Some(_), Some(_)) => (REDACTED, REDACTED_CHANGED),
        (Some(_), None) => (REDACTED, "-"),
        (None, Some(_)) => ("-", REDACTED),
        (None, None) => ("-", "-"),
    };
    (b.to_string(), a.to_string())
}

/// Counts the bytes the scans look at.
#[derive(Debug, Default)]
struct Meter(usize);

impl Meter {
    fn add(&mut self, n: usize) {
        self.0 = self.0.saturating_add(n);
    }
    #[cfg(test)]
    fn work(&self) -> usize {
        self.0
    }
}

fn detect(name: &str, value: &str, m: &mut Meter) -> Option<SecretKind> {
    if value.trim().is_empty() {
        return None;
    }
    // A whole ARN is a reference (to a secret, a key, a role), never one:
    // `SECRET_ARN=arn:aws:secretsmanager:...:secret:prod/db-AbCdEf`.
    if is_arn(value.trim().as_bytes()) {
        return None;
    }
    if let Some(kind) = value_kind(value, m) {
        return Some(kind);
    }
    name_says_secret(name, value.as_bytes(), m).then_some(SecretKind::Name)
}

/// The shape of a secret in `value`, whatever its name.
fn value_kind(value: &str, m: &mut Meter) -> Option<SecretKind> {
    let b = value.as_bytes();
    let lower = value.to_ascii_lowercase();
    let l = lower.as_bytes();
    m.add(b.len());
    if private_key(b, m) {
        return Some(SecretKind::Pem);
    }
    if jwt(b, m) {
        return Some(SecretKind::Jwt);
    }
    if let Some(kind) = known_token(b, m) {
        return Some(kind);
    }
    if webhook(l, m) {
        return Some(SecretKind::Webhook);
    }
    if url_password(b, m) {
        return Some(SecretKind::UrlUserInfo);
    }
    if let Some(kind) = credential_pair(value, m) {
        return Some(kind);
    }
    if credential_flag(b, m) {
        return Some(SecretKind::ConnectionString);
    }
    if http_credential(b, l, m) {
        return Some(SecretKind::Bearer);
    }
    random_string(b, m)
}

// ---------------------------------------------------------------- names

/// The upper-cased segments of a name: split on anything not a letter or
/// digit, at camelCase humps (`dbPassword`, `DBPassword`) and between
/// letters and digits.
fn segments(name: &str, m: &mut Meter) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    m.add(chars.len());
    let mut out = vec![];
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let boundary = prev.is_some_and(|p| {
            p.is_alphanumeric()
                && ((p.is_lowercase() && c.is_uppercase())
                    || (p.is_uppercase()
                        && c.is_uppercase()
                        && next.is_some_and(char::is_lowercase))
                    || (p.is_alphabetic() != c.is_alphabetic()))
        });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Segments that mean a secret wherever they are.
const STRONG: [&str; 17] = [
    "PASS",
    "PSK",
    "PASSWORDS",
    "PASSCODE",
    "SECRETS",
    "TOKENS",
    "APIKEYS",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "DSN",
    "WEBHOOK",
    "WEBHOOKS",
    "SALT",
    "PEPPER",
    "PRIVATEKEY",
    "CONNSTR",
];

/// Segments ending in these mean a secret (`DBPASSWORD`, `ACCESSTOKEN`,
/// `REDISPASS`), but for the words in [`NOT_A_PASS`].
const STRONG_ENDINGS: [&str; 11] = [
    "PASS",
    "PASSWORD",
    "PASSWD",
    "PWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "PRIVATEKEY",
];

/// Two segments next to each other that mean a secret wherever they are.
const PAIRS: [(&str, &str); 9] = [
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("SECRET", "KEY"),
    ("PRIVATE", "KEY"),
    ("MASTER", "KEY"),
    ("AUTH", "KEY"),
    ("CONNECTION", "STRING"),
    ("CONNECTION", "STRINGS"),
    ("CONN", "STR"),
];

/// Words that end in `PASS` and are no password (`BYPASS_CACHE`).
const NOT_A_PASS: [&str; 7] = [
    "BYPASS",
    "COMPASS",
    "SURPASS",
    "TRESPASS",
    "OVERPASS",
    "UNDERPASS",
    "ENCOMPASS",
];

/// Segments that mean a secret as the last one.
const TAIL: [&str; 13] = [
    "KEY",
    "KEYS",
    "AUTH",
    "AUTHORIZATION",
    "PRIVATE",
    "SIGNATURE",
    "SIG",
    "SIGNING",
    "HMAC",
    "JWT",
    "BEARER",
    "LICENSE",
    "OTP",
];

/// Before `KEY`, words that make it a key of something else than a lock.
const NOT_A_LOCK: [&str; 18] = [
    "PUBLIC",
    "PUB",
    "PUBLISHABLE",
    "PARTITION",
    "SORT",
    "PRIMARY",
    "FOREIGN",
    "ROUTING",
    "CACHE",
    "HASH",
    "RANGE",
    "OBJECT",
    "SHARD",
    "LOOKUP",
    "IDEMPOTENCY",
    "DEDUPLICATION",
    "DEDUP",
    "GROUP",
];

/// Last segments that only say how a secret is written down (`KEY_B64`).
const ENCODING: [&str; 15] = [
    "VALUE", "B", "64", "BASE", "HEX", "PEM", "DER", "STRING", "STR", "RAW", "DATA", "JSON",
    "ENCODED", "TEXT", "CONTENT",
];

/// What a harmless value looks like after a name's last word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Harmless {
    /// A number (with a unit: `30s`, `15m`) or a boolean.
    Measure,
    /// A file or directory.
    Path,
    /// An ARN.
    Reference,
    /// A URL or host name without credentials, a port, a region.
    Endpoint,
    /// A short word: an algorithm, a type, a header's name.
    Word,
}

fn qualifier(last: &str) -> Option<Harmless> {
    use Harmless::*;
    Some(match last {
        "TTL" | "TIMEOUT" | "SECONDS" | "SECS" | "SEC" | "MS" | "MILLIS" | "MILLISECONDS"
        | "MINUTES" | "MINS" | "MIN" | "HOURS" | "DAYS" | "EXPIRY" | "EXPIRES" | "EXPIRE"
        | "EXPIRATION" | "LIFETIME" | "AGE" | "INTERVAL" | "PERIOD" | "DELAY" | "WINDOW"
        | "LENGTH" | "LEN" | "SIZE" | "BYTES" | "BITS" | "COUNT" | "LIMIT" | "MAX" | "ROUNDS"
        | "ITERATIONS" | "RETRIES" | "ATTEMPTS" | "THRESHOLD" | "PERCENT" | "RATIO" | "ENABLED"
        | "DISABLED" | "ENABLE" | "DISABLE" | "REQUIRED" | "ENFORCED" | "ON" | "OFF" => Measure,
        "FILE" | "PATH" | "DIR" | "DIRECTORY" | "FILENAME" | "MOUNT" => Path,
        "ARN" => Reference,
        "URL" | "URI" | "ENDPOINT" | "HOST" | "HOSTNAME" | "ISSUER" | "AUDIENCE" | "DOMAIN"
        | "PORT" | "REGION" => Endpoint,
        "ALGORITHM" | "ALGO" | "ALG" | "TYPE" | "KIND" | "MODE" | "VERSION" | "FORMAT"
        | "HEADER" | "PARAM" | "FIELD" | "NAME" | "SCOPE" | "SCOPES" | "PROVIDER" | "STORE"
        | "BACKEND" | "STRATEGY" | "PREFIX" | "ENCODING" | "CIPHER" | "POLICY" | "LEVEL" => Word,
        _ => return None,
    })
}

/// Whether a variable (or a `key=value` pair) named `name` holds a secret
/// by its name, `value` deciding for names that end in a qualifier.
fn name_says_secret(name: &str, value: &[u8], m: &mut Meter) -> bool {
    let segs = segments(name, m);
    let Some(last) = segs.last() else {
        return false;
    };
    // The shell's working directory, not a password.
    if matches!(segs.as_slice(), [one] if one == "PWD" || one == "OLDPWD")
        && value.first() == Some(&b'/')
    {
        return false;
    }
    if let Some(harmless) = qualifier(last) {
        let endpoint_ok = !segs
            .iter()
            .any(|s| matches!(s.as_str(), "WEBHOOK" | "WEBHOOKS" | "DSN"));
        let v = trim(value);
        let ok = match harmless {
            Harmless::Measure => is_measure(v),
            Harmless::Path => is_path(v),
            Harmless::Reference => is_arn(v),
            Harmless::Endpoint => endpoint_ok && (is_measure(v) || is_endpoint(v)),
            Harmless::Word => is_measure(v) || is_word(v),
        };
        if ok {
            return false;
        }
    }
    m.add(segs.len() * (STRONG.len() + STRONG_ENDINGS.len() + PAIRS.len()));
    if segs.iter().any(|s| {
        STRONG.contains(&s.as_str())
            || (STRONG_ENDINGS.iter().any(|e| s.ends_with(e)) && !NOT_A_PASS.contains(&s.as_str()))
    }) {
        return true;
    }
    if segs
        .windows(2)
        .any(|w| PAIRS.iter().any(|(a, b)| w[0] == *a && w[1] == *b))
    {
        return true;
    }
    let mut end = segs.len();
    while end > 1
        && segs
            .get(end - 1)
            .is_some_and(|s| ENCODING.contains(&s.as_str()))
    {
        end -= 1;
    }
    let Some(tail) = segs.get(end - 1) else {
        return false;
    };
    if !TAIL.contains(&tail.as_str()) {
        return false;
    }
    let before = end.checked_sub(2).and_then(|i| segs.get(i));
    !(matches!(tail.as_str(), "KEY" | "KEYS")
        && before.is_some_and(|b| NOT_A_LOCK.contains(&b.as_str())))
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|c| !c.is_ascii_whitespace());
    let end = v.iter().rposition(|c| !c.is_ascii_whitespace());
    match (start, end) {
        (Some(s), Some(e)) => v.get(s..=e).unwrap_or_default(),
        _ => &[],
    }
}

/// `3600`, `1.5`, `30s`, `100ms`, `true`, `off`.
fn is_measure(v: &[u8]) -> bool {
    let digits = v
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    let unit = v.get(digits..).unwrap_or_default();
    let number = digits > 0
        && v.first().is_some_and(u8::is_ascii_digit)
        && unit.len() <= 3
        && unit.iter().all(u8::is_ascii_alphabetic);
    let boolean = [
        &b"true"[..],
        b"false",
        b"yes",
        b"no",
        b"on",
        b"off",
        b"enabled",
        b"disabled",
    ]
    .iter()
    .any(|w| v.eq_ignore_ascii_case(w));
    number || boolean
}

/// `/run/secrets/db`, `./key.pem`, `~/x`, `file:///x`.
fn is_path(v: &[u8]) -> bool {
    let rooted = v.starts_with(b"/")
        || v.starts_with(b"./")
        || v.starts_with(b"../")
        || v.starts_with(b"~/")
        || v.starts_with(b"file://");
    rooted && !v.iter().any(u8::is_ascii_whitespace)
}

/// `arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf`.
fn is_arn(v: &[u8]) -> bool {
    let mut parts = v.splitn(6, |c| *c == b':');
    let (Some(arn), Some(partition), Some(service), Some(_region), Some(account), Some(res)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    arn == b"arn"
        && partition.starts_with(b"aws")
        && !service.is_empty()
        && (account.is_empty() || (account.len() == 12 && account.iter().all(u8::is_ascii_digit)))
        && !res.is_empty()
        && !v.iter().any(u8::is_ascii_whitespace)
}

/// A URL or a host name (credentials in it were looked for already).
fn is_endpoint(v: &[u8]) -> bool {
    let host = v
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':'));
    let url = find(v, b"://", 0, &mut Meter::default()).is_some();
    !v.is_empty() && (host || url) && !v.iter().any(u8::is_ascii_whitespace)
}

/// `RS256`, `argon2id`, `X-Auth-Token`, `prod/db`.
fn is_word(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'/' | b':'))
}

// ---------------------------------------------------------------- values

/// The first `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize, m: &mut Meter) -> Option<usize> {
    let rest = hay.get(from..)?;
    if needle.is_empty() {
        return None;
    }
    let pos = rest.windows(needle.len()).position(|w| w == needle);
    m.add(pos.map_or(rest.len(), |p| p + 1));
    pos.map(|p| p + from)
}

/// How many bytes from `start` satisfy `ok`, at most `cap`.
fn run(b: &[u8], start: usize, cap: usize, ok: impl Fn(u8) -> bool, m: &mut Meter) -> usize {
    let n = b
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take(cap)
        .take_while(|c| ok(**c))
        .count();
    m.add(n + 1);
    n
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// Upper case, lower case and digits all present.
fn mixed(b: &[u8]) -> bool {
    b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_digit)
}

/// The base64 of a PEM armour (`-----BEGIN`), and the first bytes of
/// private keys in DER, base64-encoded without armour: PKCS#8 RSA, PKCS#1
/// RSA of 2048 and 4096 bits, SEC 1 EC P-256, PKCS#8 Ed25519.
const KEY_BLOBS: [&[u8]; 6] = [
    b"LS0tLS1CRUdJTi",
    b"IBADANBgkqhkiG9w0BAQEFAAS",
    b"IBAAKCAQEA",
    b"IBAAKCAgEA",
    b"MHcCAQEEI",
    b"MC4CAQAwBQYDK2Vw",
];

/// `-----BEGIN ... PRIVATE KEY-----` anywhere (a block whose label does not
/// end where it should counts too), or a key blob without armour.
fn private_key(b: &[u8], m: &mut Meter) -> bool {
    if KEY_BLOBS.iter().any(|blob| find(b, blob, 0, m).is_some()) {
        return true;
    }
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut from = 0;
    while let Some(i) = find(b, BEGIN, from, m) {
        let start = i + BEGIN.len();
        let label = b.get(start..b.len().min(start + 80)).unwrap_or_default();
        let Some(end) = find(label, b"-----", 0, m) else {
            return true;
        };
        let label = label.get(..end).unwrap_or_default();
        if find(label, b"PRIVATE", 0, m).is_some() || find(label, b"SECRET", 0, m).is_some() {
            return true;
        }
        from = start + end;
    }
    false
}

/// `eyJ<header>.<payload>.<signature>`; the signature may be empty.
fn jwt(b: &[u8], m: &mut Meter) -> bool {
    let mut from = 0;
    while let Some(i) = find(b, b"eyJ", from, m) {
        let header = run(b, i, usize::MAX, is_b64url, m);
        let dot = i + header;
        from = dot.max(i + 1);
        if header < 10 || b.get(dot) != Some(&b'.') {
            continue;
        }
        let payload = run(b, dot + 1, usize::MAX, is_b64url, m);
        let second = dot + 1 + payload;
        if payload >= 8 && b.get(second) == Some(&b'.') {
            return true;
        }
        from = second.max(from);
    }
    false
}

#[derive(Clone, Copy)]
enum Body {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Z0-9]`
    Upper,
    /// `[A-Za-z0-9_-]`
    Url,
    /// `[A-Za-z0-9_.-]`
    Dotted,
    /// `[0-9a-fA-F]`
    Hex,
}

impl Body {
    fn ok(self, c: u8) -> bool {
        match self {
            Body::Alnum => c.is_ascii_alphanumeric(),
            Body::Upper => c.is_ascii_uppercase() || c.is_ascii_digit(),
            Body::Url => is_b64url(c),
            Body::Dotted => is_b64url(c) || c == b'.',
            Body::Hex => c.is_ascii_hexdigit(),
        }
    }
}

/// A prefix, then at least `min` characters of `body` (exactly `min` when
/// `exact`), with upper, lower case and digits among them when `mixed`.
struct Token {
    prefix: &'static [u8],
    body: Body,
    min: usize,
    exact: bool,
    mixed: bool,
    kind: SecretKind,
}

const fn token(prefix: &'static [u8], body: Body, min: usize) -> Token {
    Token {
        prefix,
        body,
        min,
        exact: false,
        mixed: false,
        kind: SecretKind::KnownToken,
    }
}

const fn exactly(prefix: &'static [u8], body: Body, len: usize) -> Token {
    Token {
        exact: true,
        ..token(prefix, body, len)
    }
}

const fn mixed_token(prefix: &'static [u8], body: Body, min: usize) -> Token {
    Token {
        mixed: true,
        ..token(prefix, body, min)
    }
}

const TOKENS: [Token; 45] = [
    Token {
        kind: SecretKind::AwsAccessKey,
        ..exactly(b"AKIA", Body::Upper, 16)
    },
    Token {
        kind: SecretKind::AwsAccessKey,
        ..exactly(b"ASIA", Body::Upper, 16)
    },
    // GitHub
    token(b"ghp_", Body::Alnum, 36),
    token(b"gho_", Body::Alnum, 36),
    token(b"ghu_", Body::Alnum, 36),
    token(b"ghs_", Body::Alnum, 36),
    token(b"ghr_", Body::Alnum, 36),
    token(b"github_pat_", Body::Url, 22),
    // GitLab
    token(b"glpat-", Body::Url, 20),
    token(b"glrt-", Body::Url, 20),
    // Slack
    token(b"xoxb-", Body::Url, 10),
    token(b"xoxp-", Body::Url, 10),
    token(b"xoxa-", Body::Url, 10),
    token(b"xoxr-", Body::Url, 10),
    token(b"xoxs-", Body::Url, 10),
    token(b"xoxe-", Body::Url, 10),
    token(b"xapp-", Body::Url, 10),
    // Stripe (secret, restricted, webhook signing; not the publishable pk_)
    token(b"sk_live_", Body::Alnum, 16),
    token(b"rk_live_", Body::Alnum, 16),
    token(b"sk_test_", Body::Alnum, 16),
    token(b"rk_test_", Body::Alnum, 16),
    token(b"whsec_", Body::Alnum, 16),
    // Google: API keys, OAuth access tokens
    token(b"AIza", Body::Url, 35),
    token(b"ya29.", Body::Url, 20),
    // npm, PyPI, Hugging Face
    token(b"npm_", Body::Alnum, 36),
    token(b"pypi-", Body::Url, 50),
    mixed_token(b"hf_", Body::Alnum, 30),
    // SendGrid: SG.<id>.<secret>
    mixed_token(b"SG.", Body::Dotted, 40),
    // Twilio API key SID, Mailgun
    exactly(b"SK", Body::Hex, 32),
    exactly(b"key-", Body::Hex, 32),
    // Shopify
    exactly(b"shpat_", Body::Hex, 32),
    exactly(b"shpss_", Body::Hex, 32),
    exactly(b"shpca_", Body::Hex, 32),
    // DigitalOcean
    exactly(b"dop_v1_", Body::Hex, 64),
    exactly(b"doo_v1_", Body::Hex, 64),
    // HashiCorp Vault, Doppler
    token(b"hvs.", Body::Url, 24),
    token(b"hvb.", Body::Url, 24),
    token(b"dp.st.", Body::Dotted, 40),
    token(b"dp.pt.", Body::Dotted, 40),
    // Square, Linear, Sentry, Postman, age
    token(b"sq0atp-", Body::Url, 22),
    token(b"sq0csp-", Body::Url, 40),
    token(b"lin_api_", Body::Alnum, 32),
    token(b"sntrys_", Body::Dotted, 40),
    token(b"PMAK-", Body::Url, 40),
    // OpenAI, Anthropic and others' `sk-...`
    mixed_token(b"sk-", Body::Url, 32),
];

/// A token with a known prefix, starting where a word starts.
fn known_token(b: &[u8], m: &mut Meter) -> Option<SecretKind> {
    for i in 0..b.len() {
        if i > 0 && b.get(i - 1).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let rest = b.get(i..).unwrap_or_default();
        m.add(TOKENS.len());
        for t in &TOKENS {
            if !rest.starts_with(t.prefix) {
                continue;
            }
            let start = i + t.prefix.len();
            let n = run(b, start, t.min + 1, |c| t.body.ok(c), m);
            let long_enough = if t.exact { n == t.min } else { n >= t.min };
            let body = b.get(start..start + n).unwrap_or_default();
            // An exact-length token ends there, not inside a longer word.
            let ends = !t.exact || !b.get(start + n).is_some_and(u8::is_ascii_alphanumeric);
            if long_enough && ends && (!t.mixed || mixed(body)) {
                return Some(t.kind);
            }
        }
    }
    None
}

/// A webhook URL: the services known to put the credential in the path,
/// and any `/webhook(s)/` or `/hooks/` path with a token-like segment.
/// `l` is the value in lower case.
fn webhook(l: &[u8], m: &mut Meter) -> bool {
    const HOSTS: [&[u8]; 8] = [
        b"hooks.slack.com/services/",
        b"hooks.slack.com/workflows/",
        b"hooks.slack.com/triggers/",
        b"discord.com/api/webhooks/",
        b"discordapp.com/api/webhooks/",
        b".webhook.office.com/",
        b"outlook.office.com/webhook",
        b"hooks.zapier.com/hooks/",
    ];
    for host in HOSTS {
        if let Some(i) = find(l, host, 0, m)
            && l.get(i + host.len())
                .is_some_and(|c| !c.is_ascii_whitespace())
        {
            return true;
        }
    }
    for marker in [&b"/webhook/"[..], b"/webhooks/", b"/hooks/", b"/hook/"] {
        let mut from = 0;
        while let Some(i) = find(l, marker, from, m) {
            let start = i + marker.len();
            let path = run(
                l,
                start,
                usize::MAX,
                |c| !c.is_ascii_whitespace() && !matches!(c, b'?' | b'#' | b'"' | b'\''),
                m,
            );
            let segments = l.get(start..start + path).unwrap_or_default();
            if segments.split(|c| *c == b'/').any(|s| {
                s.len() >= 16
                    && s.iter().any(u8::is_ascii_alphabetic)
                    && s.iter().any(u8::is_ascii_digit)
            }) {
                return true;
            }
            from = (start + path).max(i + 1);
        }
    }
    false
}

/// A password in a URL's user information, of any characters: what is
/// before the LAST `@` (`redis://:ab/cd@host` has the password `ab/cd`).
/// Without a scheme too, when a port follows: `user:pass@host:6379`.
fn url_password(b: &[u8], m: &mut Meter) -> bool {
    m.add(b.len());
    b.split(|c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'<' | b'>' | b'`'))
        .any(|word| word_has_password(word, m))
}

fn word_has_password(word: &[u8], m: &mut Meter) -> bool {
    let scheme = find(word, b"://", 0, m);
    let rest = match scheme {
        Some(i) => word.get(i + 3..).unwrap_or_default(),
        None => word,
    };
    let Some(at) = rest.iter().rposition(|c| *c == b'@') else {
        return false;
    };
    let (info, host) = (
        rest.get(..at).unwrap_or_default(),
        rest.get(at + 1..).unwrap_or_default(),
    );
    let Some(colon) = info.iter().position(|c| *c == b':') else {
        return false;
    };
    let (user, password) = (
        info.get(..colon).unwrap_or_default(),
        info.get(colon + 1..).unwrap_or_default(),
    );
    // What is before the `@` is a host and a path, not user information.
    if password.is_empty() || user.iter().any(|c| matches!(c, b'/' | b'?' | b'#')) {
        return false;
    }
    let port = password.iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=5).contains(&port) && password.get(port) == Some(&b'/') {
        return false;
    }
    if scheme.is_some() {
        return true;
    }
    // Without a scheme, only `user:password@host:port`: not an image
    // reference (`repo:tag@sha256:...`), not `mailto:someone@host`.
    let host_len = host
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
        .count();
    let host_name = host.get(..host_len).unwrap_or_default();
    let port_follows =
        host.get(host_len) == Some(&b':') && host.get(host_len + 1).is_some_and(u8::is_ascii_digit);
    !user.is_empty()
        && user
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'%' | b'+'))
        && host_len > 0
        && port_follows
        && !matches!(host_name, b"sha256" | b"sha384" | b"sha512")
}

/// A `key=value` pair (`Password=...;`, `?token=...`) or a JSON member
/// (`"password": "..."`) whose key is a credential's name.
fn credential_pair(value: &str, m: &mut Meter) -> Option<SecretKind> {
    let b = value.as_bytes();
    let key_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b' ');
    let value_end = |c: u8| {
        c.is_ascii_whitespace() || matches!(c, b';' | b'&' | b'"' | b'\'' | b',' | b'}' | b'=')
    };
    for (i, &c) in b.iter().enumerate() {
        let json = c == b':' && i > 0 && b.get(i - 1) == Some(&b'"');
        // `key: value` (YAML, a header) counts only with a space after the
        // colon: `host:port`, `image:tag` and `12:30` have none.
        let colon = c == b':' && b.get(i + 1) == Some(&b' ');
        if c != b'=' && !json && !colon {
            continue;
        }
        // The value, not empty: after spaces and an opening quote
        // (`Password = x;`, `password="x"`, `"password": "x"`).
        let mut start = i + 1;
        start += run(b, start, 8, |c| c == b' ', m);
        if matches!(b.get(start), Some(b'"' | b'\'')) {
            start += 1;
        }
        if b.get(start) == Some(&b'=') {
            continue;
        }
        let len = run(b, start, 256, |c| !value_end(c), m);
        if len == 0 {
            continue;
        }
        let secret = b.get(start..start + len).unwrap_or_default();
        // The key, up to 64 characters back (spaces and a closing quote
        // before the separator skipped: `"password" : "x"`).
        let mut key_end = i;
        key_end -= run_back(b, key_end, 8, |c| c == b' ', m);
        if key_end > 0 && matches!(b.get(key_end - 1), Some(b'"' | b'\'')) {
            key_end -= 1;
        }
        let mut key_start = key_end;
        while key_start > 0
            && key_end - key_start < 64
            && b.get(key_start - 1).is_some_and(|c| key_char(*c))
        {
            key_start -= 1;
        }
        m.add(key_end - key_start);
        let Some(key) = value.get(key_start..key_end).map(str::trim) else {
            continue;
        };
        if key.is_empty() || !name_says_secret(key, secret, m) {
            continue;
        }
        let query = key_start
            .checked_sub(1)
            .and_then(|p| b.get(p))
            .is_some_and(|c| matches!(c, b'?' | b'&' | b'#'));
        return Some(if query {
            SecretKind::QueryParam
        } else {
            SecretKind::ConnectionString
        });
    }
    None
}

/// How many bytes before `end` (at most `cap`) satisfy `ok`.
fn run_back(b: &[u8], end: usize, cap: usize, ok: impl Fn(u8) -> bool, m: &mut Meter) -> usize {
    let n = b[..end.min(b.len())]
        .iter()
        .rev()
        .take(cap)
        .take_while(|c| ok(**c))
        .count();
    m.add(n);
    n
}

/// A command line's credential flag with its value after a space:
/// `--password hunter2`, `--token abc` (`--password=x` is a pair).
fn credential_flag(b: &[u8], m: &mut Meter) -> bool {
    let mut from = 0;
    while let Some(i) = find(b, b"--", from, m) {
        from = i + 2;
        let name_len = run(
            b,
            i + 2,
            64,
            |c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'),
            m,
        );
        let gap = run(b, i + 2 + name_len, 8, |c| c == b' ', m);
        let start = i + 2 + name_len + gap;
        if name_len == 0 || gap == 0 || b.get(start).is_none_or(|c| *c == b'-') {
            continue;
        }
        let len = run(b, start, 256, |c| !c.is_ascii_whitespace(), m);
        let (Some(name), Some(value)) = (
            std::str::from_utf8(&b[i + 2..i + 2 + name_len]).ok(),
            b.get(start..start + len),
        ) else {
            continue;
        };
        if name_says_secret(name, value, m) {
            return true;
        }
    }
    false
}

/// `Bearer <token>` or `Basic <base64>`, the credential at least 8
/// characters with digits, mixed case or base64 punctuation.
/// `l` is the value in lower case.
fn http_credential(b: &[u8], l: &[u8], m: &mut Meter) -> bool {
    for scheme in [&b"bearer"[..], b"basic", b"token"] {
        let mut from = 0;
        while let Some(i) = find(l, scheme, from, m) {
            from = i + 1;
            if i > 0 && l.get(i - 1).is_some_and(u8::is_ascii_alphanumeric) {
                continue;
            }
            // `Token <key>` is a scheme only as the header writes it.
            if scheme == b"token" && b.get(i) != Some(&b'T') {
                continue;
            }
            let gap = run(l, i + scheme.len(), 8, |c| c == b' ' || c == b'\t', m);
            if gap == 0 {
                continue;
            }
            let start = i + scheme.len() + gap;
            let cred_char = |c: u8| {
                c.is_ascii_alphanumeric()
                    || matches!(c, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-')
            };
            let len = run(b, start, 64, cred_char, m);
            let cred = b.get(start..start + len).unwrap_or_default();
            let varied = cred.iter().any(u8::is_ascii_digit)
                || (cred.iter().any(u8::is_ascii_uppercase)
                    && cred.iter().any(u8::is_ascii_lowercase))
                || cred.iter().any(|c| matches!(c, b'+' | b'/' | b'='));
            if len >= 8 && varied {
                return true;
            }
        }
    }
    false
}

/// Bits per character under which a long mixed string is not called
/// random: 1 in 1,000 random strings of 32 letters and digits is under it.
const ENTROPY_MIN: f64 = 4.0;

/// Runs of base64 characters: an AWS secret access key (40 characters,
/// mixed), or any 32 or more with mixed case, digits and high entropy,
/// unless hexadecimal (digests, commit ids, UUIDs), a path or made of
/// words (`PaymentServiceApplicationV2`).
fn random_string(b: &[u8], m: &mut Meter) -> Option<SecretKind> {
    m.add(b.len());
    for word in b.split(|c| !is_b64(*c)) {
        if word.len() < 32 {
            continue;
        }
        m.add(word.len() * 2);
        let aws = word.len() == 40
            && word.first() != Some(&b'/')
            && word
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'+'))
            && mixed(word)
            && !wordy(word);
        if aws {
            return Some(SecretKind::AwsSecretKey);
        }
        let hex = word.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-');
        let slashes = word.iter().filter(|c| **c == b'/').count();
        let path = word.first() == Some(&b'/') || slashes * 12 > word.len();
        if !hex && !path && mixed(word) && !wordy(word) && entropy(word) >= ENTROPY_MIN {
            return Some(SecretKind::HighEntropy);
        }
    }
    None
}

/// Whether most of `b` is words: runs of 4 or more lower-case letters,
/// capitalised or not. Random letters and digits have such runs in less
/// than half of their length 99.9 times in 100; camelCase names in 80 %.
fn wordy(b: &[u8]) -> bool {
    let mut in_words = 0;
    let mut i = 0;
    while i < b.len() {
        let capital = usize::from(b.get(i).is_some_and(u8::is_ascii_uppercase));
        let lower = b
            .get(i + capital..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_lowercase())
            .count();
        if capital + lower >= 4 && lower >= 3 {
            in_words += capital + lower;
        }
        i += (capital + lower).max(1);
    }
    in_words * 10 >= b.len() * 7
}

/// Shannon entropy of the bytes, in bits per byte.
fn entropy(b: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for c in b {
        if let Some(n) = counts.get_mut(usize::from(*c)) {
            *n += 1;
        }
    }
    let total = b.len() as f64;
    counts
        .iter()
        .filter(|n| **n > 0)
        .map(|n| {
            let p = *n as f64 / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;
