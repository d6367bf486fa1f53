//! The team's lease table (`[team] lease_table`): the DynamoDB table the
//! leases on services and the operators' presence are kept in
//! (`flightdeck_core::lease` has the rules, `flightdeck_aws::leases` the
//! table), `flightdeck team init` to create it. Never for the simulation:
//! its world is the operator's alone.

use crate::options::Options;
use flightdeck_core::lease::Team;

/// The team's table as this operator uses it, when the config names one.
#[cfg(feature = "aws")]
pub async fn team(options: &Options) -> anyhow::Result<Option<Team>> {
    let Some(table) = &options.config.team.lease_table else {
        return Ok(None);
    };
    if options.demo {
        return Ok(None);
    }
    let settings = super::settings(options).await?;
    let store = flightdeck_aws::leases::DynamoStore::new(&settings, table).await;
    Ok(Some(Team::new(
        std::sync::Arc::new(store),
        options.operator(),
    )))
}

#[cfg(not(feature = "aws"))]
pub async fn team(_options: &Options) -> anyhow::Result<Option<Team>> {
    Ok(None)
}

/// `flightdeck team init`: creates the lease table with TTL on; what was
/// done, in words.
#[cfg(feature = "aws")]
pub async fn init(options: &Options) -> anyhow::Result<Vec<String>> {
    let Some(table) = &options.config.team.lease_table else {
        anyhow::bail!("the config has no [team] lease_table to create");
    };
    let settings = super::settings(options).await?;
    let store = flightdeck_aws::leases::DynamoStore::new(&settings, table).await;
    Ok(store.init().await?)
}
