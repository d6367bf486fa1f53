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
/// `assume_role`, its credentials are the role's, assumed with the
/// profile's (and assumed again by the SDK before they expire).
pub async fn load(settings: &Settings) -> SdkConfig {
    let Some(role) = &settings.assume_role else {
        return loader(settings).load().await;
    };
    let base = loader(settings).load().await;
    let assumed = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
        .session_name(role.session_name.clone())
        .configure(&base)
        .build()
        .await;
    loader(settings).credentials_provider(assumed).load().await
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
    if let Some(role) = &settings.sso {
        loader = loader.credentials_provider(role.clone());
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

/// One client per AWS service, sharing one configuration.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub codedeploy: aws_sdk_codedeploy::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub costs: aws_sdk_costexplorer::Client,
    pub sts: aws_sdk_sts::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Clients {
    /// The clients, each counting its calls into `counter`.
    pub fn new(config: &SdkConfig, counter: &CallCounter) -> Self {
        macro_rules! client {
            ($sdk:ident) => {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(config)
                        .interceptor(counter.clone())
                        .build(),
                )
            };
        }
        let logs = aws_sdk_cloudwatchlogs::config::Builder::from(config)
            .interceptor(LoopbackStreamHost)
            .interceptor(counter.clone())
            .build();
        let costs = aws_sdk_costexplorer::config::Builder::from(config)
            .region(Region::new(COST_EXPLORER_REGION))
            .interceptor(counter.clone())
            .build();
        Clients {
            ecs: client!(aws_sdk_ecs),
            cloudwatch: client!(aws_sdk_cloudwatch),
            cloudtrail: client!(aws_sdk_cloudtrail),
            codedeploy: client!(aws_sdk_codedeploy),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs),
            autoscaling: client!(aws_sdk_applicationautoscaling),
            costs: aws_sdk_costexplorer::Client::from_conf(costs),
            sts: client!(aws_sdk_sts),
            ssm: client!(aws_sdk_ssm),
        }
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
