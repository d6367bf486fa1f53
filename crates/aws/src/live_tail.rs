//! StartLiveTail: while a log source is followed, one streaming session
//! delivers its new lines as they arrive, so following costs no
//! FilterLogEvents calls (5 a second per account and region, shared with
//! everybody). Any failure falls back to polling; a session nobody reads for
//! a minute is closed, and one that ended (AWS closes them after 3 hours) is
//! opened again on the next read.

use super::errors::Action;
use super::{AwsProvider, lock};
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use aws_smithy_types::error::display::DisplayErrorContext;
use flightdeck_core::provider::{LogQuery, ProviderError, Result};
use flightdeck_model::LogEvent;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A session nobody read for this long is closed.
const IDLE: Duration = Duration::from_secs(60);
/// After a failure or an end, poll this long before opening a session again.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// Lines held between two reads; the oldest go first.
const BUFFER: usize = 10_000;

/// What one session tails.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct TailKey {
    group: String,
    stream_prefix: Option<String>,
    filter: Option<String>,
}

impl From<&LogQuery> for TailKey {
    fn from(q: &LogQuery) -> Self {
        TailKey {
            group: q.log_group.clone(),
            stream_prefix: q.stream_prefix.clone(),
            filter: q.filter.clone().filter(|f| !f.is_empty()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(super) enum TailState {
    #[default]
    Starting,
    Live,
    Ended,
    Failed(ProviderError),
}

/// What a session's task and the readers share.
#[derive(Debug, Default)]
pub(super) struct TailBuffer {
    pub state: TailState,
    pub events: VecDeque<LogEvent>,
    /// AWS samples above 500 lines a second: the tail is then incomplete.
    pub sampled: bool,
}

/// One item of a live tail stream.
pub(super) enum TailItem {
    Started,
    Events {
        events: Vec<LogEvent>,
        sampled: bool,
    },
}

/// The stream of a session, as [`pump`] reads it (the SDK's event receiver
/// in production, a list in tests).
#[async_trait]
pub(super) trait TailStream: Send {
    async fn next(&mut self) -> Result<Option<TailItem>>;
}

/// Reads a session's stream into its buffer until the stream ends or fails.
pub(super) async fn pump(mut stream: impl TailStream, buffer: Arc<Mutex<TailBuffer>>) {
    loop {
        let item = stream.next().await;
        let mut b = lock(&buffer);
        match item {
            Ok(Some(TailItem::Started)) => b.state = TailState::Live,
            Ok(Some(TailItem::Events { events, sampled })) => {
                b.state = TailState::Live;
                b.sampled |= sampled;
                b.events.extend(events);
                let excess = b.events.len().saturating_sub(BUFFER);
                b.events.drain(..excess);
            }
            Ok(None) => {
                b.state = TailState::Ended;
                return;
            }
            Err(e) => {
                b.state = TailState::Failed(e);
                return;
            }
        }
    }
}

struct Session {
    buffer: Arc<Mutex<TailBuffer>>,
    task: tokio::task::JoinHandle<()>,
    opened: Instant,
    last_read: Instant,
    /// Whether the gap between the last poll and the first streamed line
    /// has been filled by one more poll.
    caught_up: bool,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How the next read of a followed source is served.
#[derive(Debug, PartialEq)]
pub(super) enum Plan {
    /// From the live session's buffer (plus one poll the first time).
    Stream { catch_up: bool },
    /// By FilterLogEvents; `open` a session too.
    Poll { open: bool },
}

/// The live tail sessions of one environment.
#[derive(Default)]
pub(super) struct LiveTails {
    sessions: Mutex<HashMap<TailKey, Session>>,
}

impl LiveTails {
    /// Closes idle sessions and decides how to serve `key`.
    pub fn plan(&self, key: &TailKey, now: Instant) -> Plan {
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| now.duration_since(s.last_read) < IDLE);
        let Some(session) = sessions.get_mut(key) else {
            return Plan::Poll { open: true };
        };
        session.last_read = now;
        let state = lock(&session.buffer).state.clone();
        match state {
            TailState::Live => {
                let catch_up = !session.caught_up;
                session.caught_up = true;
                Plan::Stream { catch_up }
            }
            TailState::Starting => Plan::Poll { open: false },
            TailState::Ended | TailState::Failed(_) => Plan::Poll {
                open: now.duration_since(session.opened) >= RETRY_AFTER,
            },
        }
    }

    /// Takes what the session of `key` has received.
    pub fn drain(&self, key: &TailKey) -> (Vec<LogEvent>, bool) {
        let sessions = lock(&self.sessions);
        let Some(session) = sessions.get(key) else {
            return (vec![], false);
        };
        let mut b = lock(&session.buffer);
        (b.events.drain(..).collect(), b.sampled)
    }

    fn insert(
        &self,
        key: TailKey,
        buffer: Arc<Mutex<TailBuffer>>,
        task: tokio::task::JoinHandle<()>,
    ) {
        let now = Instant::now();
        lock(&self.sessions).insert(
            key,
            Session {
                buffer,
                task,
                opened: now,
                last_read: now,
                caught_up: false,
            },
        );
    }

    #[cfg(test)]
    fn open_for_test(&self, key: TailKey, buffer: Arc<Mutex<TailBuffer>>, opened: Instant) {
        let task = tokio::spawn(async {});
        lock(&self.sessions).insert(
            key,
            Session {
                buffer,
                task,
                opened,
                last_read: opened,
                caught_up: false,
            },
        );
    }
}

/// The SDK's event receiver as a [`TailStream`].
struct SdkTail {
    output: aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailOutput,
    /// Lines of other groups are dropped (a session names its groups, and
    /// emulators have been seen to answer with the wrong one).
    group: String,
}

/// Whether a live tail line's group identifier (an ARN, maybe ending in
/// `:*`, or a name) is `group`.
fn same_group(identifier: Option<&str>, group: &str) -> bool {
    identifier.is_none_or(|id| {
        let id = id.strip_suffix(":*").unwrap_or(id);
        id == group || id.ends_with(&format!(":log-group:{group}"))
    })
}

#[async_trait]
impl TailStream for SdkTail {
    async fn next(&mut self) -> Result<Option<TailItem>> {
        loop {
            let item = self.output.response_stream.recv().await.map_err(|e| {
                ProviderError::Network(format!(
                    "logs:StartLiveTail stream: {}",
                    DisplayErrorContext(&e)
                ))
            })?;
            return Ok(match item {
                None => None,
                Some(StartLiveTailResponseStream::SessionStart(_)) => Some(TailItem::Started),
                Some(StartLiveTailResponseStream::SessionUpdate(u)) => Some(TailItem::Events {
                    sampled: u.session_metadata().is_some_and(|m| m.sampled()),
                    events: u
                        .session_results()
                        .iter()
                        .filter(|e| same_group(e.log_group_identifier(), &self.group))
                        .map(|e| {
                            super::logs::log_event(
                                e.log_stream_name().unwrap_or_default(),
                                e.timestamp().unwrap_or_default(),
                                e.message().unwrap_or_default(),
                            )
                        })
                        .collect(),
                }),
                // A kind of item this SDK does not know: skip it.
                Some(_) => continue,
            });
        }
    }
}

impl AwsProvider {
    /// Log events of a followed source: what its session streamed, plus a
    /// FilterLogEvents poll while no session is live (and once more when
    /// one goes live, to fill the gap). Lines a stream delivered are shown
    /// even when that poll fails; the next read reports a lasting failure.
    pub(super) async fn followed_log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>> {
        let key = TailKey::from(query);
        let plan = self.tails.plan(&key, Instant::now());
        let (mut events, sampled) = self.tails.drain(&key);
        if sampled {
            tracing::info!(group = %query.log_group, "live tail is sampled (over 500 lines/s)");
        }
        let poll = match plan {
            Plan::Stream { catch_up } => catch_up,
            Plan::Poll { open } => {
                if open {
                    self.open_tail(key).await;
                }
                true
            }
        };
        if poll {
            match self.filter_log_events(query).await {
                Ok(polled) => events.extend(polled),
                Err(e) if events.is_empty() => return Err(e),
                Err(e) => tracing::info!("poll failed; showing streamed lines: {e}"),
            }
        }
        events.retain(|e| e.timestamp >= query.since);
        events.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then(a.id.cmp(&b.id)));
        events.dedup_by(|a, b| a.id == b.id);
        Ok(events)
    }

    /// Starts a session in the background; a failure to start is recorded
    /// in its buffer like any other, and polling goes on.
    async fn open_tail(&self, key: TailKey) {
        let buffer = Arc::new(Mutex::new(TailBuffer::default()));
        let arn = match self.log_group_arn(&key.group).await {
            Ok(arn) => arn,
            Err(e) => {
                lock(&buffer).state = TailState::Failed(e);
                self.tails.insert(key, buffer, tokio::spawn(async {}));
                return;
            }
        };
        let request = self
            .clients
            .logs()
            .start_live_tail()
            .log_group_identifiers(arn)
            .set_log_stream_name_prefixes(key.stream_prefix.clone().map(|p| vec![p]))
            .set_log_event_filter_pattern(key.filter.clone());
        let profile = self.settings.profile.clone();
        let group = key.group.clone();
        let shared = buffer.clone();
        let task = tokio::spawn(async move {
            match request.send().await {
                Ok(out) => pump(SdkTail { output: out, group }, shared).await,
                Err(e) => {
                    let e = super::errors::classify(
                        e,
                        Action("logs:StartLiveTail"),
                        profile.as_deref(),
                    );
                    tracing::info!("no live tail, polling instead: {e}");
                    lock(&shared).state = TailState::Failed(e);
                }
            }
        });
        self.tails.insert(key, buffer, task);
    }

    /// `arn:aws:logs:<region>:<account>:log-group:<name>`, the form
    /// StartLiveTail requires.
    async fn log_group_arn(&self, group: &str) -> Result<String> {
        let account = self.account().await?;
        Ok(format!(
            "arn:aws:logs:{}:{account}:log-group:{group}",
            self.info.region
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    struct Script(VecDeque<Result<Option<TailItem>>>);

    #[async_trait]
    impl TailStream for Script {
        async fn next(&mut self) -> Result<Option<TailItem>> {
            self.0.pop_front().unwrap_or(Ok(None))
        }
    }

    fn event(i: i64) -> LogEvent {
        let t = chrono::Utc.timestamp_opt(1_800_000_000 + i, 0).unwrap();
        super::super::logs::log_event("ecs/app/1", t.timestamp_millis(), &format!("line {i}"))
    }

    fn key() -> TailKey {
        TailKey {
            group: "/ecs/c/s".into(),
            stream_prefix: Some("ecs/".into()),
            filter: None,
        }
    }

    #[test]
    fn lines_of_other_groups_are_recognised() {
        let arn = "arn:aws:logs:eu-west-1:1:log-group:/ecs/shop/catalog";
        assert!(same_group(Some(arn), "/ecs/shop/catalog"));
        assert!(same_group(Some(&format!("{arn}:*")), "/ecs/shop/catalog"));
        assert!(same_group(None, "/ecs/shop/catalog"));
        assert!(!same_group(Some(arn), "/ecs/shop/cat"));
        assert!(!same_group(
            Some("arn:aws:logs:eu-west-1:1:log-group:/ecs/shop/payments"),
            "/ecs/shop/catalog"
        ));
    }

    #[tokio::test]
    async fn a_stream_fills_the_buffer_then_ends() {
        let buffer = Arc::new(Mutex::new(TailBuffer::default()));
        let script = Script(VecDeque::from(vec![
            Ok(Some(TailItem::Started)),
            Ok(Some(TailItem::Events {
                events: vec![event(1), event(2)],
                sampled: false,
            })),
            Ok(Some(TailItem::Events {
                events: vec![event(3)],
                sampled: true,
            })),
        ]));
        pump(script, buffer.clone()).await;
        let b = lock(&buffer);
        assert_eq!(b.state, TailState::Ended);
        assert_eq!(b.events.len(), 3);
        assert!(b.sampled);
    }

    #[tokio::test]
    async fn a_failing_stream_is_recorded_as_failed() {
        let buffer = Arc::new(Mutex::new(TailBuffer::default()));
        let script = Script(VecDeque::from(vec![
            Ok(Some(TailItem::Started)),
            Err(ProviderError::Network("reset".into())),
        ]));
        pump(script, buffer.clone()).await;
        assert_eq!(
            lock(&buffer).state,
            TailState::Failed(ProviderError::Network("reset".into()))
        );
    }

    #[tokio::test]
    async fn reads_poll_until_live_stream_while_live_and_retry_after_a_while() {
        let tails = LiveTails::default();
        let t0 = Instant::now();
        assert_eq!(tails.plan(&key(), t0), Plan::Poll { open: true });
        let buffer = Arc::new(Mutex::new(TailBuffer::default()));
        tails.open_for_test(key(), buffer.clone(), t0);
        assert_eq!(tails.plan(&key(), t0), Plan::Poll { open: false });
        lock(&buffer).state = TailState::Live;
        lock(&buffer).events.push_back(event(1));
        assert_eq!(tails.plan(&key(), t0), Plan::Stream { catch_up: true });
        assert_eq!(tails.drain(&key()).0, vec![event(1)]);
        assert_eq!(tails.plan(&key(), t0), Plan::Stream { catch_up: false });
        assert!(tails.drain(&key()).0.is_empty());
        lock(&buffer).state = TailState::Ended;
        assert_eq!(
            tails.plan(&key(), t0 + Duration::from_secs(5)),
            Plan::Poll { open: false }
        );
        assert_eq!(
            tails.plan(&key(), t0 + RETRY_AFTER),
            Plan::Poll { open: true }
        );
    }

    #[tokio::test]
    async fn sessions_nobody_reads_are_closed() {
        let tails = LiveTails::default();
        let t0 = Instant::now();
        let buffer = Arc::new(Mutex::new(TailBuffer {
            state: TailState::Live,
            ..TailBuffer::default()
        }));
        tails.open_for_test(key(), buffer, t0);
        let other = TailKey {
            group: "/ecs/c/other".into(),
            ..key()
        };
        assert_eq!(tails.plan(&other, t0 + IDLE), Plan::Poll { open: true });
        assert!(lock(&tails.sessions).is_empty());
    }
}
