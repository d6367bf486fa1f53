//! What the team shares (`[team]`), each part off until the config turns
//! it on: the audit trail in CloudWatch Logs (`audit`), and the leases on
//! services and the operators' presence in a DynamoDB table (`leases`).
//! Both live in the account of `[team] environment`, and name the
//! operator the same way (`Options::operator`). Finished recordings go to
//! the team's bucket (`recordings`).

pub mod audit;
pub mod leases;
pub mod live;
pub mod recordings;

use crate::options::Options;

/// How to reach the account of `[team] environment` (configured, or
/// discovered as last kept).
#[cfg(feature = "aws")]
pub async fn settings(options: &Options) -> anyhow::Result<flightdeck_aws::Settings> {
    let Some(env) = &options.config.team.environment else {
        anyhow::bail!(
            "[team] needs `environment`: the environment whose account holds the team's log group and lease table"
        );
    };
    let now = flightdeck_model::clock::Clock::now(&flightdeck_model::clock::SystemClock);
    let discovered = crate::discover::environments(options, now, false)
        .await
        .unwrap_or_default();
    let mut scoped = options.clone();
    scoped.env = Some(env.clone());
    crate::session::aws_settings(&scoped, &discovered)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("[team] environment `{env}` is not an environment"))
}
