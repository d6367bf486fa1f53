//! Loading the SDK configuration of one environment and building its
//! clients: credential chain, region, endpoint, timeouts and retries.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::path::PathBuf;
use std::time::Duration;

/// The longest any call may take, retries included (the SDK default has none).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
/// One attempt of a call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Standard retry mode: exponential backoff with jitter, three attempts.
pub const MAX_ATTEMPTS: u32 = 3;
/// Cost Explorer answers only in this region.
pub const COST_EXPLORER_REGION: &str = "us-east-1";

/// Everything needed to reach one environment. Unset fields fall back to
/// the SDK's own chain: `AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
/// profiles, SSO, assume-role, IMDS.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub name: String,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Only these clusters; all when `None`.
    pub clusters: Option<Vec<String>>,
    /// Production unless something said otherwise (the default).
    pub production: bool,
    pub read_only: bool,
    /// Where Cost Explorer answers are cached between runs; no cache when `None`.
    pub cache_dir: Option<PathBuf>,
    /// A role that IAM Identity Center discovery found: its credentials
    /// come from the cached login, not from a profile.
    pub sso: Option<crate::sso::SsoRole>,
    /// A role assumed in a member account that Organizations discovery
    /// found, with the credentials of `profile` (the management account's).
    pub assume_role: Option<AssumeRole>,
}

/// A role to assume (STS AssumeRole) with the environment's own credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    /// Who assumes it, as CloudTrail will name the session.
    pub session_name: String,
}

impl Default for Settings {
    /// Production: a setting left out must not make writes easier.
    fn default() -> Self {
        Settings {
            name: String::new(),
            profile: None,
            region: None,
            endpoint_url: None,
            clusters: None,
            production: true,
            read_only: false,
            cache_dir: None,
            sso: None,
            assume_role: None,
        }
    }
}

/// Loads the SDK configuration with explicit timeouts and retries; with
/// `sso` or `assume_role`, its credentials are the role's (assumed with the
/// profile's, again by the SDK before they expire).
pub async fn load(settings: &Settings) -> SdkConfig {
    Loaded::default().config(settings).await
}

/// What the configurations of one start are made from: `(profile, region,
/// endpoint)`.
type Base = (Option<String>, Option<String>, Option<String>);

/// The configurations of one start, made from as few loads as can be: a
/// hundred environments of one organisation differ only in the role
/// assumed, and share the management profile's load instead of reading
/// the profile files two hundred times (most of a warm start's 100 ms).
#[derive(Default)]
pub struct Loaded {
    bases: HashMap<Base, SdkConfig>,
}

impl Loaded {
    /// The configuration of `settings` (see [`load`]).
    pub async fn config(&mut self, settings: &Settings) -> SdkConfig {
        let key = (
            settings.profile.clone(),
            settings.region.clone(),
            settings.endpoint_url.clone(),
        );
        let base = match self.bases.get(&key) {
            Some(base) => base.clone(),
            None => {
                let plain = Settings {
                    sso: None,
                    assume_role: None,
                    ..settings.clone()
                };
                let base = loader(&plain).load().await;
                self.bases.insert(key, base.clone());
                base
            }
        };
        if let Some(role) = &settings.sso {
            return base
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(role.clone()))
                .build();
        }
        if let Some(role) = &settings.assume_role {
            let assumed = LazyAssumeRole {
                role: role.clone(),
                base: base.clone(),
                provider: tokio::sync::OnceCell::new(),
            };
            return base
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(assumed))
                .build();
        }
        base
    }
}

/// A role assumed on its first use: its provider (an STS client of its
/// own) is made then, not at the start; a hundred accounts' STS clients
/// were a third of a warm start's first frame.
#[derive(Debug)]
struct LazyAssumeRole {
    role: crate::AssumeRole,
    base: SdkConfig,
    provider: tokio::sync::OnceCell<aws_config::sts::AssumeRoleProvider>,
}

impl aws_credential_types::provider::ProvideCredentials for LazyAssumeRole {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let provider = self
                .provider
                .get_or_init(|| {
                    aws_config::sts::AssumeRoleProvider::builder(self.role.role_arn.clone())
                        .session_name(self.role.session_name.clone())
                        .configure(&self.base)
                        .build()
                })
                .await;
            provider.provide_credentials().await
        })
    }
}

/// The configuration loader of [`load`], for callers that must add to it
/// (tests give static credentials for an isolated moto account).
pub fn loader(settings: &Settings) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::http::https_client())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(OPERATION_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200)),
        );
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader
}

use crate::stats::CallCounter;
use aws_credential_types::provider::SharedCredentialsProvider;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One client per AWS service, sharing one configuration, each made on
/// its first call: a client costs its share of a start (a hundred
/// environments of nine clients each were most of a warm start's 200 ms),
/// and most environments never call most services.
#[derive(Debug, Clone)]
pub struct Clients {
    config: SdkConfig,
    counter: CallCounter,
    ecs: OnceLock<aws_sdk_ecs::Client>,
    cloudwatch: OnceLock<aws_sdk_cloudwatch::Client>,
    cloudtrail: OnceLock<aws_sdk_cloudtrail::Client>,
    codedeploy: OnceLock<aws_sdk_codedeploy::Client>,
    logs: OnceLock<aws_sdk_cloudwatchlogs::Client>,
    autoscaling: OnceLock<aws_sdk_applicationautoscaling::Client>,
    costs: OnceLock<aws_sdk_costexplorer::Client>,
    sts: OnceLock<aws_sdk_sts::Client>,
    ssm: OnceLock<aws_sdk_ssm::Client>,
}

/// The accessor of a client made with the shared configuration and the
/// call counter.
macro_rules! plain_client {
    ($name:ident, $sdk:ident) => {
        pub fn $name(&self) -> &$sdk::Client {
            self.$name.get_or_init(|| {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&self.config)
                        .interceptor(self.counter.clone())
                        .build(),
                )
            })
        }
    };
}

impl Clients {
    /// The clients, each counting its calls into `counter`.
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> Self {
        Clients {
            config: config.clone(),
            counter: counter.clone(),
            ecs: OnceLock::new(),
            cloudwatch: OnceLock::new(),
            cloudtrail: OnceLock::new(),
            codedeploy: OnceLock::new(),
            logs: OnceLock::new(),
            autoscaling: OnceLock::new(),
            costs: OnceLock::new(),
            sts: OnceLock::new(),
            ssm: OnceLock::new(),
        }
    }

    plain_client!(ecs, aws_sdk_ecs);
    plain_client!(cloudwatch, aws_sdk_cloudwatch);
    plain_client!(cloudtrail, aws_sdk_cloudtrail);
    plain_client!(codedeploy, aws_sdk_codedeploy);
    plain_client!(autoscaling, aws_sdk_applicationautoscaling);
    plain_client!(sts, aws_sdk_sts);
    plain_client!(ssm, aws_sdk_ssm);

    pub fn logs(&self) -> &aws_sdk_cloudwatchlogs::Client {
        self.logs.get_or_init(|| {
            aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(&self.config)
                    .interceptor(LoopbackStreamHost)
                    .interceptor(self.counter.clone())
                    .build(),
            )
        })
    }

    /// Cost Explorer answers in one region, whatever the environment's.
    pub fn costs(&self) -> &aws_sdk_costexplorer::Client {
        self.costs.get_or_init(|| {
            aws_sdk_costexplorer::Client::from_conf(
                aws_sdk_costexplorer::config::Builder::from(&self.config)
                    .region(Region::new(COST_EXPLORER_REGION))
                    .interceptor(self.counter.clone())
                    .build(),
            )
        })
    }
}

/// StartLiveTail prefixes the endpoint's host with `stream-`. That is right
/// for AWS and wrong for a loopback endpoint (moto, LocalStack), where
/// `stream-127.0.0.1` does not resolve: strip it there, before signing.
#[derive(Debug)]
struct LoopbackStreamHost;

impl Intercept for LoopbackStreamHost {
    fn name(&self) -> &'static str {
        "LoopbackStreamHost"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(fixed) = strip_loopback_stream_prefix(request.uri()) {
            request.set_uri(fixed)?;
        }
        Ok(())
    }
}

/// `http://stream-127.0.0.1:5000/` -> `http://127.0.0.1:5000/`; `None` for
/// every other URI.
pub fn strip_loopback_stream_prefix(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let host = rest.strip_prefix("stream-")?;
    let hostname = host.split(['/', ':']).next().unwrap_or_default();
    let loopback = hostname == "localhost"
        || hostname.starts_with("127.")
        || hostname.starts_with('[')
        || hostname.ends_with(".localhost");
    loopback.then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_prefix_is_stripped_only_for_loopback_hosts() {
        assert_eq!(
            strip_loopback_stream_prefix("http://stream-127.0.0.1:5000/").as_deref(),
            Some("http://127.0.0.1:5000/")
        );
        assert_eq!(
            strip_loopback_stream_prefix("http://stream-localhost:4566").as_deref(),
            Some("http://localhost:4566")
        );
        assert_eq!(
            strip_loopback_stream_prefix("https://stream-logs.eu-west-1.amazonaws.com/"),
            None
        );
        assert_eq!(strip_loopback_stream_prefix("http://127.0.0.1:5000/"), None);
    }
}
