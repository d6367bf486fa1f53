//! CloudWatch Logs: FilterLogEvents with continuation tokens, de-duplicated
//! by event id.

use super::AwsProvider;
use super::errors::Action;
use flightdeck_core::provider::{LogQuery, Result};
use flightdeck_model::LogEvent;
use std::collections::HashSet;

/// FilterLogEvents returns at most this many events per page.
const PAGE: i32 = 1000;

/// A log event with an id derived from what it is (stream, time, text):
/// FilterLogEvents and StartLiveTail report the same line the same way, so
/// overlapping polls and streams de-duplicate (live tail has no event ids).
pub(super) fn log_event(stream: &str, timestamp_ms: i64, message: &str) -> LogEvent {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    message.hash(&mut h);
    LogEvent {
        id: format!("{stream}/{timestamp_ms}/{:016x}", h.finish()),
        timestamp: chrono::DateTime::from_timestamp_millis(timestamp_ms).unwrap_or_default(),
        stream: stream.to_string(),
        message: message.to_string(),
    }
}

impl AwsProvider {
    pub(super) async fn filter_log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>> {
        let mut events = Vec::new();
        let mut seen = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .clients
                .logs()
                .filter_log_events()
                .log_group_name(&query.log_group)
                .set_log_stream_name_prefix(query.stream_prefix.clone())
                .start_time(query.since.timestamp_millis())
                .set_filter_pattern(query.filter.clone().filter(|f| !f.is_empty()))
                .limit(PAGE.min(i32::try_from(query.limit).unwrap_or(PAGE)))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(self.fail(Action("logs:FilterLogEvents")))?;
            for e in out.events() {
                let event = log_event(
                    e.log_stream_name().unwrap_or_default(),
                    e.timestamp().unwrap_or_default(),
                    e.message().unwrap_or_default(),
                );
                if seen.insert(event.id.clone()) {
                    events.push(event);
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() || events.len() >= query.limit || out.events().is_empty() {
                break;
            }
        }
        // Several streams interleave: oldest first across all of them.
        events.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then(a.id.cmp(&b.id)));
        if events.len() > query.limit {
            events.drain(..events.len() - query.limit);
        }
        Ok(events)
    }
}
