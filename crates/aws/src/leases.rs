//! The team's lease table in DynamoDB (`[team] lease_table`): leases on
//! services and operators' presence, one table, TTL on `expires`.
//!
//! Items: a lease is `pk = "lease#<service key>"`, `sk = "lease"`; a
//! presence is `pk = "presence#<account>/<region>"`, `sk = <operator>`.
//! Every lease write is conditional, so two operators racing for one
//! service cannot both win; TTL deletes expired items only eventually, so
//! the conditions and the readers compare `expires` themselves.

use crate::errors::failed;
use crate::sdk::Settings;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use flightdeck_core::lease::{Lease, LeaseStore, Presence};
use flightdeck_core::provider::ProviderError;
use flightdeck_model::Timestamp;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// The attribute TTL deletes by (epoch seconds).
const TTL_ATTRIBUTE: &str = "expires";
/// How long `team init` waits for a new table to be ACTIVE.
const ACTIVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

fn conditional_failed<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

/// The lease table of one account.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// Instants as stored: RFC 3339 to the millisecond (what the conditions
/// compare `since` by) and epoch seconds for `expires`.
fn instant(t: Timestamp) -> AttributeValue {
    AttributeValue::S(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn epoch(t: Timestamp) -> AttributeValue {
    AttributeValue::N(t.timestamp().to_string())
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn read_instant(item: &Item, name: &str) -> Option<Timestamp> {
    chrono::DateTime::parse_from_rfc3339(&text(item, name)?)
        .ok()
        .map(|t| t.to_utc())
}

fn read_epoch(item: &Item, name: &str) -> Option<Timestamp> {
    let n: i64 = item.get(name)?.as_n().ok()?.parse().ok()?;
    chrono::DateTime::from_timestamp(n, 0)
}

fn lease_key(service: &str) -> Item {
    HashMap::from([
        ("pk".into(), AttributeValue::S(format!("lease#{service}"))),
        ("sk".into(), AttributeValue::S("lease".into())),
    ])
}

fn lease_item(l: &Lease) -> Item {
    let mut item = lease_key(&l.service);
    item.insert("service".into(), AttributeValue::S(l.service.clone()));
    item.insert("holder".into(), AttributeValue::S(l.holder.clone()));
    item.insert("identity".into(), AttributeValue::S(l.identity.clone()));
    item.insert("what".into(), AttributeValue::S(l.what.clone()));
    item.insert("since".into(), instant(l.since));
    item.insert(TTL_ATTRIBUTE.into(), epoch(l.expires));
    if let Some(from) = &l.taken_from {
        item.insert("taken_from".into(), AttributeValue::S(from.clone()));
    }
    if let Some(why) = &l.reason {
        item.insert("reason".into(), AttributeValue::S(why.clone()));
    }
    item
}

/// A lease as stored; `None` for an item that is not one (written by
/// something else, or half).
fn read_lease(item: &Item) -> Option<Lease> {
    Some(Lease {
        service: text(item, "service")?,
        holder: text(item, "holder")?,
        identity: text(item, "identity").unwrap_or_default(),
        what: text(item, "what").unwrap_or_default(),
        since: read_instant(item, "since")?,
        expires: read_epoch(item, TTL_ATTRIBUTE)?,
        taken_from: text(item, "taken_from"),
        reason: text(item, "reason"),
    })
}

fn read_presence(item: &Item) -> Option<Presence> {
    Some(Presence {
        scope: text(item, "scope")?,
        operator: text(item, "sk")?,
        service: text(item, "service"),
        seen: read_instant(item, "seen")?,
        expires: read_epoch(item, TTL_ATTRIBUTE)?,
    })
}

impl DynamoStore {
    /// The table `table` in the account and region of `settings`.
    pub async fn new(settings: &Settings, table: &str) -> Self {
        Self::with_config(&crate::sdk::load(settings).await, table)
    }

    /// The table `table` reached with `config` (the tests' hook, as
    /// `AwsProvider::with_config`).
    pub fn with_config(config: &aws_config::SdkConfig, table: &str) -> Self {
        DynamoStore {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.to_string(),
        }
    }

    /// Creates the table (on-demand capacity) unless it exists, waits for
    /// it, and turns TTL on `expires` on. The words say what was done.
    pub async fn init(&self) -> Result<Vec<String>, ProviderError> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
            TimeToLiveSpecification,
        };
        let mut said = vec![];
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        let invalid = |e: aws_sdk_dynamodb::error::BuildError| ProviderError::Other(e.to_string());
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("pk").map_err(invalid)?)
            .attribute_definitions(attribute("sk").map_err(invalid)?)
            .key_schema(key("pk", KeyType::Hash).map_err(invalid)?)
            .key_schema(key("sk", KeyType::Range).map_err(invalid)?)
            .send()
            .await;
        match created {
            Ok(_) => said.push(format!("created table {} (on-demand)", self.table)),
            Err(e) if e.code() == Some("ResourceInUseException") => {
                said.push(format!("table {} exists", self.table))
            }
            Err(e) => return Err(failed(e, "dynamodb:CreateTable")),
        }
        let deadline = tokio::time::Instant::now() + ACTIVE_WITHIN;
        loop {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| failed(e, "dynamodb:DescribeTable"))?;
            let status = described.table().and_then(|t| t.table_status());
            if status == Some(&aws_sdk_dynamodb::types::TableStatus::Active) {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(ProviderError::Other(format!(
                    "table {} is not ACTIVE after {}s",
                    self.table,
                    ACTIVE_WITHIN.as_secs()
                )));
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        let ttl = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(invalid)?;
        match self
            .client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await
        {
            Ok(_) => said.push(format!("TTL on `{TTL_ATTRIBUTE}`")),
            // Asked twice: "TimeToLive is already enabled".
            Err(e)
                if e.code() == Some("ValidationException")
                    && e.message().is_some_and(|m| m.contains("already enabled")) =>
            {
                said.push(format!("TTL on `{TTL_ATTRIBUTE}` (already)"))
            }
            Err(e) => return Err(failed(e, "dynamodb:UpdateTimeToLive")),
        }
        Ok(said)
    }
}

#[async_trait::async_trait]
impl LeaseStore for DynamoStore {
    async fn get(&self, service: &str) -> Result<Option<Lease>, ProviderError> {
        let answer = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(lease_key(service)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| failed(e, "dynamodb:GetItem"))?;
        Ok(answer.item().and_then(read_lease))
    }

    async fn put(
        &self,
        lease: &Lease,
        now: Timestamp,
        over: Option<&Lease>,
    ) -> Result<Result<(), Lease>, ProviderError> {
        let mut condition =
            "attribute_not_exists(pk) OR expires < :now OR holder = :holder".to_string();
        let mut values = HashMap::from([
            (":now".to_string(), epoch(now)),
            (
                ":holder".to_string(),
                AttributeValue::S(lease.holder.clone()),
            ),
        ]);
        if let Some(o) = over {
            condition.push_str(" OR (holder = :over_holder AND since = :over_since)");
            values.insert(":over_holder".into(), AttributeValue::S(o.holder.clone()));
            values.insert(":over_since".into(), instant(o.since));
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(lease_item(lease)))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match put {
            Ok(_) => Ok(Ok(())),
            Err(e) if e.as_service_error().is_some_and(conditional_failed) => {
                // The lease in the way; gone already, it raced: say so as
                // the holder read a moment ago.
                match self.get(&lease.service).await? {
                    Some(other) => Ok(Err(other)),
                    None => Err(ProviderError::Other(
                        "the lease changed while it was taken; try again".into(),
                    )),
                }
            }
            Err(e) => Err(failed(e, "dynamodb:PutItem")),
        }
    }

    async fn renew(
        &self,
        lease: &Lease,
        expires: Timestamp,
    ) -> Result<Result<(), Option<Lease>>, ProviderError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(lease_key(&lease.service)))
            .update_expression("SET expires = :expires")
            .condition_expression("holder = :holder AND since = :since")
            .expression_attribute_values(":expires", epoch(expires))
            .expression_attribute_values(":holder", AttributeValue::S(lease.holder.clone()))
            .expression_attribute_values(":since", instant(lease.since))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(Ok(())),
            Err(e) if e.as_service_error().is_some_and(conditional_failed) => {
                Ok(Err(self.get(&lease.service).await?))
            }
            Err(e) => Err(failed(e, "dynamodb:UpdateItem")),
        }
    }

    async fn release(&self, lease: &Lease, ended: Timestamp) -> Result<(), ProviderError> {
        let ended = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(lease_key(&lease.service)))
            .update_expression("SET expires = :ended")
            .condition_expression("holder = :holder AND since = :since")
            .expression_attribute_values(":ended", epoch(ended))
            .expression_attribute_values(":holder", AttributeValue::S(lease.holder.clone()))
            .expression_attribute_values(":since", instant(lease.since))
            .send()
            .await;
        match ended {
            // Taken over meanwhile: it is not ours to end.
            Err(e) if e.as_service_error().is_some_and(conditional_failed) => Ok(()),
            Err(e) => Err(failed(e, "dynamodb:UpdateItem")),
            Ok(_) => Ok(()),
        }
    }

    async fn beat(&self, p: &Presence) -> Result<(), ProviderError> {
        let mut item = HashMap::from([
            (
                "pk".to_string(),
                AttributeValue::S(format!("presence#{}", p.scope)),
            ),
            ("sk".to_string(), AttributeValue::S(p.operator.clone())),
            ("scope".to_string(), AttributeValue::S(p.scope.clone())),
            ("seen".to_string(), instant(p.seen)),
            (TTL_ATTRIBUTE.to_string(), epoch(p.expires)),
        ]);
        if let Some(s) = &p.service {
            item.insert("service".into(), AttributeValue::S(s.clone()));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| failed(e, "dynamodb:PutItem"))?;
        Ok(())
    }

    async fn present(&self, scope: &str) -> Result<Vec<Presence>, ProviderError> {
        let mut out = vec![];
        let mut start: Option<Item> = None;
        loop {
            let answer = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(format!("presence#{scope}")))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| failed(e, "dynamodb:Query"))?;
            out.extend(answer.items().iter().filter_map(read_presence));
            match answer.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_reads_back_as_written() {
        let since = chrono::DateTime::parse_from_rfc3339("2026-12-05T03:00:00.123Z")
            .unwrap()
            .to_utc();
        let lease = Lease {
            service: "1/eu-west-1/prod/api".into(),
            holder: "bob".into(),
            identity: "arn:aws:sts::1:assumed-role/oncall/bob".into(),
            what: "rollback prod/api".into(),
            since,
            expires: since + chrono::Duration::seconds(120) - chrono::Duration::milliseconds(123),
            taken_from: Some("alice".into()),
            reason: Some("paged".into()),
        };
        assert_eq!(read_lease(&lease_item(&lease)), Some(lease));
    }
}
