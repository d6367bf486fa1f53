//! The team's shared audit trail in CloudWatch Logs: every operator's
//! audit records, one log stream per operator, sent from the local audit
//! file's [`Outbox`] (the file stays the source of truth; what could not
//! be sent waits there for the next try), and read back (`SharedTrail`)
//! for the change timeline.

use crate::errors::failed;
use crate::sdk::Settings;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use flightdeck_core::audit::Record;
use flightdeck_core::outbox::{Outbox, Pending};
use flightdeck_core::provider::ProviderError;
use flightdeck_core::timeline::{TeamRecord, TeamTrail};

/// PutLogEvents takes at most this many events a call...
const MAX_EVENTS: usize = 10_000;
/// ...of at most this many bytes, each message counting 26 more...
const MAX_BYTES: usize = 1_048_576;
const EVENT_OVERHEAD: usize = 26;
/// ...spanning at most a day.
const MAX_SPAN_MS: i64 = 24 * 3600 * 1000;

/// What one catch-up sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shipped {
    /// Records the trail took.
    pub sent: usize,
    /// Records CloudWatch Logs refused as too old or too new (kept only in
    /// the local file).
    pub refused: usize,
}

/// Where the shared trail is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    pub log_group: String,
    /// The operator's stream.
    pub stream: String,
}

/// The pending records in batches PutLogEvents takes: in time order (a
/// record earlier than the one before it starts another batch), within the
/// count, size and one-day limits.
fn batches(pending: &[Pending]) -> Vec<&[Pending]> {
    let mut out = vec![];
    let mut start = 0;
    let mut bytes = 0;
    for (i, p) in pending.iter().enumerate() {
        let size = p.line.len() + EVENT_OVERHEAD;
        let first = &pending[start];
        let breaks = i > start
            && (i - start >= MAX_EVENTS
                || bytes + size > MAX_BYTES
                || p.time < pending[i - 1].time
                || (p.time - first.time).num_milliseconds() > MAX_SPAN_MS);
        if breaks {
            out.push(&pending[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < pending.len() {
        out.push(&pending[start..]);
    }
    out
}

/// Sends what the outbox holds to the trail, batch by batch, marking each
/// batch sent once CloudWatch Logs took it. The stream is made on first use.
pub async fn catch_up(
    settings: &Settings,
    trail: &Trail,
    outbox: &Outbox,
) -> Result<Shipped, ProviderError> {
    let pending = outbox
        .pending()
        .map_err(|e| ProviderError::Other(format!("the audit file: {e}")))?;
    if pending.is_empty() {
        return Ok(Shipped::default());
    }
    let config = crate::sdk::load(settings).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    match logs
        .create_log_stream()
        .log_group_name(&trail.log_group)
        .log_stream_name(&trail.stream)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceAlreadyExistsException") => {}
        Err(e) => return Err(failed(e, "logs:CreateLogStream")),
    }
    let mut shipped = Shipped::default();
    for batch in batches(&pending) {
        let events: Vec<_> = batch
            .iter()
            .map(|p| {
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(p.time.timestamp_millis())
                    .message(&p.line)
                    .build()
            })
            .collect::<Result<_, _>>()
            .map_err(|e| ProviderError::Other(e.to_string()))?;
        let answer = logs
            .put_log_events()
            .log_group_name(&trail.log_group)
            .log_stream_name(&trail.stream)
            .set_log_events(Some(events))
            .send()
            .await
            .map_err(|e| failed(e, "logs:PutLogEvents"))?;
        let refused = answer.rejected_log_events_info.map_or(0, |r| {
            let too_old = r
                .too_old_log_event_end_index
                .map_or(0, |i| i.max(0) as usize);
            let too_new = r
                .too_new_log_event_start_index
                .map_or(0, |i| batch.len().saturating_sub(i.max(0) as usize));
            too_old + too_new
        });
        shipped.refused += refused;
        shipped.sent += batch.len() - refused.min(batch.len());
        if let Some(last) = batch.last() {
            outbox
                .sent(last.end)
                .map_err(|e| ProviderError::Other(format!("the audit outbox: {e}")))?;
        }
    }
    Ok(shipped)
}

/// FilterLogEvents pages read per timeline, at most (10,000 events each).
const READ_PAGES: usize = 10;

/// The shared trail read back, for the change timeline: every operator's
/// records about an account and region.
#[derive(Debug, Clone)]
pub struct SharedTrail {
    logs: aws_sdk_cloudwatchlogs::Client,
    log_group: String,
    operator: String,
}

impl SharedTrail {
    /// The trail of `log_group` in the account of `settings`; `operator`'s
    /// own records are the local audit log's.
    pub async fn new(settings: &Settings, log_group: &str, operator: &str) -> Self {
        Self::with_config(&crate::sdk::load(settings).await, log_group, operator)
    }

    /// The tests' hook, as `AwsProvider::with_config`.
    pub fn with_config(config: &aws_config::SdkConfig, log_group: &str, operator: &str) -> Self {
        SharedTrail {
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            log_group: log_group.to_string(),
            operator: operator.to_string(),
        }
    }
}

#[async_trait::async_trait]
impl TeamTrail for SharedTrail {
    fn operator(&self) -> &str {
        &self.operator
    }

    async fn records(
        &self,
        account: &str,
        region: &str,
        since: flightdeck_model::Timestamp,
    ) -> Result<Vec<TeamRecord>, ProviderError> {
        let mut out = vec![];
        let mut token = None;
        for _ in 0..READ_PAGES {
            // A quoted term: the lines that name the account (CloudWatch
            // Logs and moto both match it); the record's own fields decide.
            let page = self
                .logs
                .filter_log_events()
                .log_group_name(&self.log_group)
                .start_time(since.timestamp_millis())
                .filter_pattern(format!("\"{account}\""))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| failed(e, "logs:FilterLogEvents"))?;
            for event in page.events() {
                let (Some(stream), Some(line)) = (event.log_stream_name(), event.message()) else {
                    continue;
                };
                let Ok(record) = serde_json::from_str::<Record>(line) else {
                    continue;
                };
                if record.account == account && record.region == region {
                    out.push(TeamRecord {
                        operator: stream.to_string(),
                        record,
                    });
                }
            }
            match page.next_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(minutes: &[i64]) -> Vec<Pending> {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .to_utc();
        minutes
            .iter()
            .enumerate()
            .map(|(i, m)| Pending {
                time: t0 + chrono::Duration::minutes(*m),
                line: "x".repeat(100),
                end: i as u64,
            })
            .collect()
    }

    #[test]
    fn batches_keep_time_order_and_a_day_each() {
        let sizes = |p: &[Pending]| batches(p).iter().map(|b| b.len()).collect::<Vec<_>>();
        assert_eq!(sizes(&pending(&[0, 1, 2])), [3]);
        assert_eq!(sizes(&pending(&[0, 5, 3, 4])), [2, 2], "out of order");
        assert_eq!(sizes(&pending(&[0, 60, 24 * 60 + 1])), [2, 1], "a day");
        assert!(batches(&[]).is_empty());
    }
}
