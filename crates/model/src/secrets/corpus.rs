//! Real-world shapes of secrets in ECS task definitions, each with a name
//! as it would appear there, and look-alikes that must stay visible. Every
//! secret here is fake: the AWS documentation's example keys, `EXAMPLE`
//! fillers, repeated digits.

use super::SecretKind::{self, *};

/// `(name, value, why it is a secret)`.
pub(super) const SECRETS: &[(&str, &str, SecretKind)] = &[
    // The shapes issue 22 found in clear.
    ("DB_PASS", "s3cr3t-Pa55", Name),
    ("DB_PWD", "hunter2hunter2", Name),
    (
        "ORDERS_DB",
        "Server=db.internal;Database=orders;User ID=app;Password=Tr0ub4dor&3;",
        ConnectionString,
    ),
    (
        "REPORTING_JDBC_URL",
        "jdbc:postgresql://db.internal:5432/reports?user=reporter&password=n0t-in-the-clear",
        QueryParam,
    ),
    (
        "CACHE_URL",
        "redis://:ab/cd@cache.internal:6379",
        UrlUserInfo,
    ),
    (
        "SAML_SIGNER",
        " -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfakeFAKEfake\n-----END RSA PRIVATE KEY-----",
        Pem,
    ),
    (
        "IDP_CONFIG",
        "entity=https://idp.example.com;pem=-----BEGIN PRIVATE KEY-----MIIEvQIBADANfake-----END PRIVATE KEY-----",
        Pem,
    ),
    (
        "ALERTS_URL",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        Webhook,
    ),
    (
        "UPSTREAM_AUTHORIZATION",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        Jwt,
    ),
    // Names.
    ("SESSION_KEY", "hunter2", Name),
    ("dbPassword", "correct horse battery staple", Name),
    ("db.pwd", "letmein", Name),
    ("PGPASSWORD", "fake", Name),
    ("JWT_SIGNING_KEY", "change-me", Name),
    ("COOKIE_SECRET", "keyboard cat", Name),
    ("REDIS_AUTH", "r3d1s", Name),
    (
        "SENTRY_DSN",
        "https://0123456789abcdef@o0.ingest.sentry.io/1",
        Name,
    ),
    ("RAILS_MASTER_KEY", "0123456789abcdef0123456789abcdef", Name),
    ("PASSWORD_SALT", "pepper", Name),
    ("TOKEN_TTL_SECONDS", "not-a-number", Name),
    // Connection strings and query strings.
    (
        "MSSQL",
        "Data Source=sql.internal,1433;Initial Catalog=app;User Id=app;Pwd=Zx9-fake;",
        ConnectionString,
    ),
    (
        "PG_CONNINFO",
        "host=db port=5432 user=app passwd=fake-pass-1",
        ConnectionString,
    ),
    (
        "AZURE_STORAGE",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=EXAMPLEexample0123456789EXAMPLE+example==;EndpointSuffix=core.windows.net",
        ConnectionString,
    ),
    (
        "SERVICE_BUS",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=EXAMPLEexample0123=",
        ConnectionString,
    ),
    (
        "APP_CONFIG",
        r#"{"db":{"user":"app","password":"fake-Pa55"}}"#,
        ConnectionString,
    ),
    (
        "JAVA_TOOL_OPTIONS",
        "-Xmx512m -Dspring.datasource.password=fake-Pa55",
        ConnectionString,
    ),
    (
        "REPORT_LINK",
        "https://acme-reports.s3.eu-west-1.amazonaws.com/r.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-Signature=0123456789abcdef",
        QueryParam,
    ),
    (
        "BLOB_SAS_URL",
        "https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&sp=r&se=2030-01-01&sig=EXAMPLE%2Bexample%3D",
        QueryParam,
    ),
    (
        "OAUTH_REDIRECT",
        "https://app.example.com/cb#access_token=EXAMPLEtoken123&token_type=bearer",
        QueryParam,
    ),
    (
        "GOOGLE_CHAT",
        "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=EXAMPLEkey&token=EXAMPLEtoken0123",
        QueryParam,
    ),
    // URLs with a password.
    (
        "MONGO_URI",
        "mongodb+srv://app:p%40ss@w0rd@cluster0.example.mongodb.net/app",
        UrlUserInfo,
    ),
    (
        "AMQP_URL",
        "amqp://guest:guest@rabbit.internal:5672/",
        UrlUserInfo,
    ),
    (
        "SMTP",
        "smtp://mailer:S3nd!t@smtp.example.com:587",
        UrlUserInfo,
    ),
    (
        "MYSQL_URL",
        "mysql://root:pa:ss/wo@rd@db.internal:3306/app",
        UrlUserInfo,
    ),
    (
        "BROKERS",
        "kafka://svc:S3cr3t@kafka-1.internal:9092,kafka-2.internal:9092",
        UrlUserInfo,
    ),
    (
        "REDIS_ADDR",
        "default:r3d1s-pass@redis.internal:6379",
        UrlUserInfo,
    ),
    // Keys.
    (
        "SSH_DEPLOY",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        Pem,
    ),
    (
        "SIGNER_DER",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQfakeFAKEfake",
        Pem,
    ),
    ("NODE_KEY", "MC4CAQAwBQYDK2VwBCIEIfakefakefakefake", Pem),
    (
        "TLS_BUNDLE_B64",
        "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2ZmFrZQ==",
        Pem,
    ),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", AwsAccessKey),
    ("S3_UPLOADER", "ASIAIOSFODNN7EXAMPLE", AwsAccessKey),
    (
        "LEGACY_S3",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        AwsSecretKey,
    ),
    // HTTP credentials.
    ("BASIC_AUTH_HEADER", "Basic YWRtaW46c2VjcmV0", Bearer),
    ("PROXY_AUTHORIZATION", "Bearer abc123def456ghi789", Bearer),
    // Webhooks.
    (
        "DISCORD_ALERTS",
        "https://discord.com/api/webhooks/123456789012345678/EXAMPLEexample-EXAMPLE_example0123",
        Webhook,
    ),
    (
        "TEAMS_NOTIFY",
        "https://acme.webhook.office.com/webhookb2/00000000-0000-0000-0000-000000000000@00000000-0000-0000-0000-000000000000/IncomingWebhook/abc/def",
        Webhook,
    ),
    (
        "DEPLOY_NOTIFY",
        "https://ci.example.com/hooks/9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        Webhook,
    ),
    // Tokens with a known prefix.
    (
        "GH_CI",
        "ghp_EXAMPLEexample0123456789EXAMPLEabc12",
        KnownToken,
    ),
    (
        "GH_APP",
        "gho_EXAMPLEexample0123456789EXAMPLEabc12",
        KnownToken,
    ),
    (
        "RENOVATE",
        "github_pat_11EXAMPLE0example_EXAMPLEexampleEXAMPLE",
        KnownToken,
    ),
    ("GITLAB_CI", "glpat-EXAMPLEexample012345", KnownToken),
    (
        "SLACK_BOT",
        "xoxb-123456789012-1234567890123-EXAMPLEexampleEXAMPLE",
        KnownToken,
    ),
    ("SLACK_USER", "xoxp-123456789012-EXAMPLEexample", KnownToken),
    ("STRIPE", "sk_live_EXAMPLE0000000000000000000", KnownToken),
    (
        "STRIPE_RESTRICTED",
        "rk_live_EXAMPLE0000000000000000000",
        KnownToken,
    ),
    (
        "MAPS",
        "AIzaSyEXAMPLE-example_EXAMPLEexample12345",
        KnownToken,
    ),
    (
        "NPM_RC",
        "//registry.npmjs.org/:_authToken=npm_EXAMPLEexample0123456789EXAMPLEabc12",
        KnownToken,
    ),
    (
        "MAILER",
        "SG.EXAMPLEexample012345.EXAMPLEexample0123456789EXAMPLEexample01234",
        KnownToken,
    ),
    ("TWILIO", "SK0123456789abcdef0123456789abcdef", KnownToken),
    (
        "OPENAI",
        "sk-proj-EXAMPLEexample0123456789EXAMPLEexample",
        KnownToken,
    ),
    ("HF_HUB", "hf_EXAMPLEexample0123456789EXAMPLEx", KnownToken),
    // Random strings.
    (
        "ENCRYPTION",
        "Zq8vN3kR7wLp2XyT9bHc4MfJ6sDg1QaE5uWn0KoVr7Ty",
        HighEntropy,
    ),
    (
        "UPSTREAM",
        "id=app,blob=Qm9vN2FzZGZqa2xXRVJUWVVJT1BaWENWQk5NMTIzNDU2",
        HighEntropy,
    ),
    // Found by a second reader after the first round: names ending in
    // PASS, pairs with spaces or quotes, YAML and INI lines, flags, the
    // `Token` scheme, a pre-shared key.
    ("ADMINPASS", "m2", Name),
    ("REDISPASS", "m3", Name),
    ("SMTPPASS", "mailpass123", Name),
    (
        "ADO",
        "Data Source=x;User ID=sa;Password = adopass1;",
        ConnectionString,
    ),
    ("INI", "password = inipass1", ConnectionString),
    ("YAML", "password: yamlpass1", ConnectionString),
    ("Q", "Password=\"quotedpass1\"", ConnectionString),
    (
        "JSONISH",
        "{\"user\": \"app\", \"password\" : \"jsonpass1\"}",
        ConnectionString,
    ),
    ("CLI", "--password hunter2cli", ConnectionString),
    (
        "CLI_TOKEN",
        "sync --token abcDEF123 --verbose",
        ConnectionString,
    ),
    ("PSK", "presharedkey", Name),
    ("AUTH2", "Token tok_plain_1234", Bearer),
];

/// `(name, value)` that must be shown as they are.
pub(super) const LOOK_ALIKES: &[(&str, &str)] = &[
    (
        "IMAGE",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v1.42.0-abc1234",
    ),
    (
        "SIDECAR_IMAGE",
        "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ),
    (
        "PINNED_IMAGE",
        "registry.example.com:5000/nginx:1.25@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ),
    (
        "DB_SECRET_ARN",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
    ),
    (
        "DB_SECRET",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
    ),
    (
        "KMS_KEY_ID",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    ("API_HOST", "api.internal.example.com"),
    (
        "HEALTH_URL",
        "https://api.example.com/v1/health?region=eu-west-1",
    ),
    ("REQUEST_NAMESPACE", "3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b"),
    ("GIT_SHA", "9fceb02d0ae598e95dc970b74767f19372d61af8"),
    ("RELEASE_DATE", "2026-11-22T14:00:00Z"),
    ("WORKERS", "4"),
    ("FEATURE_FLAGS", r#"{"newCheckout":true,"darkMode":false}"#),
    ("NODE_ENV", "production"),
    ("LOG_LEVEL", "info"),
    ("APP_SOCKET", "/var/run/app.sock"),
    ("SUPPORT_EMAIL", "ops@example.com"),
    ("CONTACT", "mailto:ops@example.com"),
    ("DATABASE_URL", "postgres://db.internal:5432/app"),
    ("SMTP_URL", "smtp://mailer@smtp.example.com:587"),
    ("GREETING_B64", "aGVsbG8gd29ybGQ="),
    ("PASSENGER_COUNT", "42"),
    ("BYPASS_CACHE", "true"),
    ("KEYSPACE", "orders"),
    ("TOKENIZER_MODEL", "bert-base-uncased"),
    ("COMPASS_URL", "https://compass.example.com"),
    ("SESSION_TIMEOUT", "30m"),
    ("COOKIE_DOMAIN", ".example.com"),
    ("TOKEN_TTL_SECONDS", "3600"),
    ("PASSWORD_MIN_LENGTH", "12"),
    ("DB_PASSWORD_FILE", "/run/secrets/db_password"),
    ("JWT_ALGORITHM", "RS256"),
    ("TOKEN_URL", "https://auth.example.com/oauth2/token"),
    ("AUTH_SERVICE_URL", "http://auth.internal:8080"),
    (
        "JAVA_OPTS",
        "-Xmx1536m -XX:+UseG1GC -Dspring.profiles.active=prod",
    ),
    (
        "OTEL_RESOURCE_ATTRIBUTES",
        "service.name=api,deployment.environment=prod",
    ),
    (
        "QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/210987654321/radiox-processing",
    ),
    ("STRIPE_PUBLISHABLE_KEY", "pk_live_51EXAMPLE"),
    ("DYNAMO_PARTITION_KEY", "tenantId"),
    ("PWD", "/app"),
    ("PROFILE_URL", "https://medium.com/@acme"),
    ("STATUS_URL", "https://status.example.com:8443/@health"),
    ("SCHEDULE", "0 */5 * * *"),
    (
        "ALLOWED_ORIGINS",
        "https://app.example.com,https://admin.example.com",
    ),
    ("BUILD_NUMBER", "20261122.4"),
    ("NOTE", "Basic configuration only"),
    ("AWS_REGION", "eu-west-1"),
    (
        "MAIN_CLASS",
        "com.example.payments.PaymentServiceApplicationKt",
    ),
    (
        "HOME_DIR",
        "/Users/Alice/Documents/Projects2024/flightdeck/build",
    ),
    ("DB_PASSWORD", ""),
    (
        "SECRET_ARN",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
    ),
    ("BYPASS_PROXY", "true"),
    ("SCHEDULE", "at 12:30: run the report"),
    ("IMAGE_REF", "registry.example.com:5000/team/api:v1.4"),
    ("ARGS", "--port 8080 --log-level info"),
    ("GREETING", "Token counts are shown in the footer"),
    (
        "CA_CERT",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    ),
];
