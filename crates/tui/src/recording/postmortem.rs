//! The postmortem timeline of a recording: in time order, what changed in
//! the environments the session watched (alarm states, deployments,
//! scaling activities, ECS's telling events) and what the operator did
//! (plans and their results, with request ids). It is folded as the
//! entries stream by ([`Postmortem`]), in memory bounded by
//! [`MAX_HAPPENINGS`] lines and [`MAX_TRACKED`] things followed.

use super::{Entry, Header, MAX_HAPPENINGS, MAX_TRACKED, Reader, RecordingError};
use flightdeck_core::engine::{Payload, ScalingData};
use flightdeck_core::ops::{ExecError, Executed, Operation, Plan, PlanError};
use flightdeck_model::{Alarm, AlarmState, EventKind, Service, Timestamp};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::path::Path;

/// One line of the postmortem timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Happening {
    pub at: Timestamp,
    pub environment: String,
    pub kind: HappeningKind,
    pub service: Option<String>,
    pub what: String,
    /// When the session received what tells of it: a replay jumps there
    /// (an alarm's change is older than the poll that saw it).
    #[serde(skip)]
    pub seen: Timestamp,
    /// The ECS deployment this line is about: the one a deploy line tells
    /// the start of, or the one an operator's write started. It puts an
    /// effect after its cause (see [`Postmortem::finish`]).
    #[serde(skip)]
    pub deployment: Option<String>,
    /// The drill's run it belongs to (0 until `X X` restarts the drill):
    /// a restart sets the clock back, and the runs are told apart, never
    /// interleaved.
    #[serde(skip)]
    pub run: u64,
}

/// What a line of the postmortem is about; written `alarm`, `deploy`,
/// `scaling`, `event` or `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HappeningKind {
    /// An alarm changed state.
    Alarm,
    /// A deployment started, moved or ended.
    Deploy,
    /// Auto scaling acted.
    Scaling,
    /// ECS said something telling.
    Event,
    /// The operator did something.
    Action,
    /// The drill restarted from its start: what follows is its next run.
    Restart,
}

impl HappeningKind {
    /// How it is written.
    pub fn as_str(self) -> &'static str {
        match self {
            HappeningKind::Alarm => "alarm",
            HappeningKind::Deploy => "deploy",
            HappeningKind::Scaling => "scaling",
            HappeningKind::Event => "event",
            HappeningKind::Action => "action",
            HappeningKind::Restart => "restart",
        }
    }
}

impl std::fmt::Display for HappeningKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// ECS service events worth a line of their own.
fn telling(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::DeploymentFailed
            | EventKind::RolledBack
            | EventKind::UnableToPlace
            | EventKind::Unhealthy
            | EventKind::DeploymentCompleted
    )
}

/// A recording's postmortem, read whole: what [`postmortem`] gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub header: Header,
    /// The entries read.
    pub entries: u64,
    /// Everything that happened, oldest first.
    pub happenings: Vec<Happening>,
    /// Whether the last line was cut short (a crash) and left out.
    pub truncated: bool,
    /// What was left out or clamped, one sentence each (the reader's and
    /// the timeline's own bounds).
    pub warnings: Vec<String>,
}

/// The postmortem of the recording at `path`, read as a stream.
pub fn postmortem(path: &Path) -> Result<Report, RecordingError> {
    postmortem_of(Reader::open(path)?)
}

/// The postmortem of a recording from any source (an object in S3).
pub fn postmortem_of<R: std::io::BufRead>(mut reader: Reader<R>) -> Result<Report, RecordingError> {
    let mut timeline = Postmortem::new(reader.header());
    let mut entries = 0;
    while let Some(entry) = reader.next() {
        timeline.take(&entry?, reader.instant());
        entries += 1;
    }
    let mut warnings = reader.warnings();
    warnings.extend(timeline.warning());
    Ok(Report {
        header: reader.header().clone(),
        entries,
        truncated: reader.truncated(),
        happenings: timeline.finish(),
        warnings,
    })
}

/// A set that follows at most `max` things: what it cannot follow is not
/// new to it (and counted).
fn insert_bounded<K: Hash + Eq>(
    set: &mut HashSet<K>,
    key: K,
    max: usize,
    untracked: &mut u64,
) -> bool {
    if set.len() >= max && !set.contains(&key) {
        *untracked += 1;
        return false;
    }
    set.insert(key)
}

/// The timeline folded as entries stream by: [`Postmortem::take`] each
/// entry, then [`Postmortem::finish`]. What was already so when the
/// recording began is left out, except alarms already in ALARM.
pub struct Postmortem {
    since: Timestamp,
    out: Vec<Happening>,
    alarms: HashMap<(String, String), AlarmState>,
    rollouts: HashMap<(String, String), String>,
    seen: HashSet<String>,
    /// The last key or click, and the last plan that came back: an
    /// operator's write was made after both.
    last_input: Option<Timestamp>,
    last_planned: Option<Timestamp>,
    /// Lines past [`MAX_HAPPENINGS`], and things past [`MAX_TRACKED`].
    left_out: u64,
    untracked: u64,
    /// The drill's run of the latest data (see [`Happening::run`]).
    run: u64,
    /// The bounds: [`MAX_HAPPENINGS`] and [`MAX_TRACKED`], lower in tests.
    max_happenings: usize,
    max_tracked: usize,
}

impl Postmortem {
    pub fn new(header: &Header) -> Postmortem {
        Postmortem {
            since: header.started,
            out: vec![],
            alarms: HashMap::new(),
            rollouts: HashMap::new(),
            seen: HashSet::new(),
            last_input: None,
            last_planned: None,
            left_out: 0,
            untracked: 0,
            run: 0,
            max_happenings: MAX_HAPPENINGS,
            max_tracked: MAX_TRACKED,
        }
    }

    /// Lower bounds, for tests.
    #[cfg(test)]
    pub(crate) fn bounded(mut self, happenings: usize, tracked: usize) -> Postmortem {
        self.max_happenings = happenings;
        self.max_tracked = tracked;
        self
    }

    fn push(&mut self, mut happening: Happening) {
        happening.run = self.run;
        if self.out.len() < self.max_happenings {
            self.out.push(happening);
        } else {
            self.left_out += 1;
        }
    }

    /// What the timeline left out, if anything.
    pub fn warning(&self) -> Option<String> {
        (self.left_out > 0 || self.untracked > 0).then(|| {
            format!(
                "the timeline keeps at most {} lines and follows at most {} alarms, deployments and events of each kind: {} more lines and {} more things are left out",
                self.max_happenings, self.max_tracked, self.left_out, self.untracked
            )
        })
    }

    /// The timeline, oldest first, each thing said once; its times never
    /// run backwards. An operator's write is timed when it was made (see
    /// [`Postmortem::take`]), so what ECS stamped after it follows it. An
    /// effect never comes before its cause: the start of a deployment an
    /// operator's write started (the first write that names it; a later
    /// one, a continue or a rollback to it, did not start it) is no
    /// earlier than that write, even where ECS's clock stamped it a moment
    /// before.
    pub fn finish(self) -> Vec<Happening> {
        let mut out = self.out;
        // A drill played again under its seed names its deployments alike:
        // a cause is of its own run.
        let mut started_by: HashMap<(u64, String), Timestamp> = HashMap::new();
        for h in out.iter().filter(|h| h.kind == HappeningKind::Action) {
            if let Some(id) = &h.deployment {
                let first = started_by.entry((h.run, id.clone())).or_insert(h.at);
                *first = (*first).min(h.at);
            }
        }
        for h in out.iter_mut().filter(|h| h.kind == HappeningKind::Deploy) {
            if let Some(cause) = h
                .deployment
                .as_ref()
                .and_then(|d| started_by.get(&(h.run, d.clone())))
            {
                h.at = h.at.max(*cause);
            }
        }
        // Run after run, each opened by its restart; among lines of one
        // instant, the operator's come first: they are what the others
        // answer.
        out.sort_by_key(|h| {
            (
                h.run,
                h.kind != HappeningKind::Restart,
                h.at,
                h.kind != HappeningKind::Action,
            )
        });
        drop_repeats(&mut out);
        out
    }

    /// Takes in one entry, which plays at `played` (see
    /// [`Reader::instant`]): a replay jumps there.
    pub fn take(&mut self, entry: &Entry, played: Timestamp) {
        match entry {
            Entry::Data { at, event } => {
                let env = &event.key.env;
                if let Some(run) = event.data.run.filter(|run| *run > self.run) {
                    self.restarted(run, env, *at, played);
                }
                let Ok(payload) = &event.data.result else {
                    return;
                };
                match payload {
                    Payload::Alarms(list) => self.take_alarms(env, list, *at, played),
                    Payload::Services { services, .. } => {
                        for svc in services {
                            self.take_deployments(env, svc, *at, played);
                            self.take_events(env, svc, played);
                        }
                    }
                    Payload::Scaling(data) => self.take_scaling(env, data, played),
                    _ => {}
                }
            }
            Entry::Planned {
                at,
                env,
                op,
                result,
                ..
            } => {
                self.last_planned = Some(*at);
                self.push(action(*at, played, env, op, planned(op, result), None));
            }
            Entry::Executed {
                at,
                env,
                plan,
                result,
                ..
            } => {
                // The write was made once confirmed (the last key after
                // its plan came back), before its answer was received.
                let made = self
                    .last_input
                    .max(self.last_planned)
                    .filter(|made| made <= at)
                    .unwrap_or(*at);
                let op = &plan.operation;
                self.push(action(
                    made,
                    played,
                    env,
                    op,
                    executed(op, result),
                    result
                        .as_ref()
                        .ok()
                        .and_then(|done| done.deployment_id.clone()),
                ));
            }
            Entry::ActionEnded {
                at,
                env,
                plan,
                outcome,
                ..
            } => {
                let on = match plan.scope {
                    flightdeck_core::action::Scope::Environment => String::new(),
                    scope => format!(" on {} {}", scope.as_str(), plan.target),
                };
                let ended = match outcome {
                    Ok(0) => "done".to_string(),
                    Ok(code) => format!("failed: exit status {code}"),
                    Err(why) => format!("failed: {why}"),
                };
                self.push(Happening {
                    at: *at,
                    environment: env.clone(),
                    kind: HappeningKind::Action,
                    service: (!plan.service.is_empty()).then(|| plan.service.clone()),
                    what: format!(
                        "runbook action {}{on}{}: {ended} ({})",
                        plan.action,
                        if plan.writes { ", confirmed" } else { "" },
                        plan.command_line()
                    ),
                    seen: played,
                    deployment: None,
                    run: 0,
                });
            }
            Entry::Key { at, .. } | Entry::Mouse { at, .. } => self.last_input = Some(*at),
            // A previous run's state is no event of this session.
            Entry::Remembered { .. }
            | Entry::Unchanged { .. }
            | Entry::Tick { .. }
            | Entry::Resize { .. }
            | Entry::Diffed { .. }
            | Entry::ActionPlanned { .. }
            | Entry::ActionOutput { .. }
            // The run-task itself is the executed write's line.
            | Entry::TaskEnded { .. } => {}
        }
    }

    /// The first data of a drill's next run: the world was made anew, so
    /// what was followed of the last run starts over, and a line says so.
    fn restarted(&mut self, run: u64, env: &str, at: Timestamp, played: Timestamp) {
        self.run = run;
        self.alarms.clear();
        self.rollouts.clear();
        self.seen.clear();
        self.push(Happening {
            at,
            environment: env.to_string(),
            kind: HappeningKind::Restart,
            service: None,
            what: format!(
                "the drill restarted from its start (run {}); the lines below are of that run",
                run + 1
            ),
            seen: played,
            deployment: None,
            run,
        });
    }

    /// Takes in a poll of alarms, received at `at`: the alarms that changed
    /// state, and those already in ALARM when first seen.
    fn take_alarms(&mut self, env: &str, list: &[Alarm], at: Timestamp, played: Timestamp) {
        let since = self.since;
        // Auto scaling's own alarms: the scaling activities say what they
        // did.
        for a in list.iter().filter(|a| !a.is_auto_scalings()) {
            let key = (env.to_string(), a.name.clone());
            if self.alarms.len() >= self.max_tracked && !self.alarms.contains_key(&key) {
                self.untracked += 1;
                continue;
            }
            let before = self.alarms.insert(key, a.state);
            let what = match before {
                None if a.state == AlarmState::Alarm => {
                    format!(
                        "{} in ALARM when the recording began: {}",
                        a.name, a.state_reason
                    )
                }
                Some(b) if b != a.state => {
                    format!("{}: {b} -> {}: {}", a.name, a.state, a.state_reason)
                }
                _ => continue,
            };
            self.push(Happening {
                at: a.state_updated_at.max(since).min(at),
                environment: env.to_string(),
                kind: HappeningKind::Alarm,
                seen: played,
                deployment: None,
                service: a.dimension("ServiceName").map(str::to_string),
                what,
                run: 0,
            });
        }
    }

    /// Takes in a service's deployments, polled at `at`: those that started
    /// during the recording, and each change of their state.
    fn take_deployments(&mut self, env: &str, svc: &Service, at: Timestamp, played: Timestamp) {
        let since = self.since;
        for d in &svc.deployments {
            let key = (env.to_string(), d.id.clone());
            if self.rollouts.len() >= self.max_tracked && !self.rollouts.contains_key(&key) {
                self.untracked += 1;
                continue;
            }
            let state = format!("{} {}", d.status, d.rollout_state);
            let before = self.rollouts.insert(key, state.clone());
            let changed = before.as_ref().is_some_and(|b| *b != state);
            let new = before.is_none() && d.created_at >= since;
            if changed || new {
                self.push(Happening {
                    at: if new { d.created_at } else { at },
                    environment: env.to_string(),
                    kind: HappeningKind::Deploy,
                    seen: played,
                    deployment: new.then(|| d.id.clone()),
                    service: Some(svc.name.clone()),
                    what: format!(
                        "deployment to {}: {state}{}",
                        d.task_definition,
                        if d.rollout_reason.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", d.rollout_reason)
                        }
                    ),
                    run: 0,
                });
            }
        }
    }

    /// Takes in a service's telling events of the recording, each once.
    fn take_events(&mut self, env: &str, svc: &Service, played: Timestamp) {
        for e in &svc.events {
            if e.created_at < self.since
                || !telling(e.kind)
                || !insert_bounded(
                    &mut self.seen,
                    format!("{env}/event/{}", e.id),
                    self.max_tracked,
                    &mut self.untracked,
                )
            {
                continue;
            }
            self.push(Happening {
                at: e.created_at,
                environment: env.to_string(),
                kind: HappeningKind::Event,
                seen: played,
                deployment: None,
                service: Some(svc.name.clone()),
                what: e.message.clone(),
                run: 0,
            });
        }
    }

    /// Takes in the scaling activities of the recording, each once.
    fn take_scaling(&mut self, env: &str, data: &ScalingData, played: Timestamp) {
        for a in data.activities.iter().flatten() {
            if a.started_at < self.since
                || !insert_bounded(
                    &mut self.seen,
                    format!("{env}/scaling/{}", a.id),
                    self.max_tracked,
                    &mut self.untracked,
                )
            {
                continue;
            }
            self.push(Happening {
                at: a.started_at,
                environment: env.to_string(),
                kind: HappeningKind::Scaling,
                seen: played,
                deployment: None,
                service: a.resource_id.rsplit('/').next().map(str::to_string),
                what: format!("{} ({})", a.description, a.status),
                run: 0,
            });
        }
    }
}

/// What a plan's line says: its steps, or why it was refused.
fn planned(op: &Operation, result: &Result<Plan, PlanError>) -> String {
    match result {
        Ok(plan) => format!(
            "planned {}: {}",
            subject(op),
            plan.steps
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Err(e) => {
            // The error says "refused: …" itself.
            let why = e.to_string();
            let why = why.strip_prefix("refused: ").unwrap_or(&why);
            format!("{} refused: {why}", subject(op))
        }
    }
}

/// What an execution's line says: the calls it made, or how it failed.
fn executed(op: &Operation, result: &Result<Executed, ExecError>) -> String {
    match result {
        Ok(done) => format!(
            "{} confirmed and done: {}",
            subject(op),
            flightdeck_core::ops::describe_calls(&done.calls)
        ),
        Err(e) => format!("{} confirmed, failed: {e}", subject(op)),
    }
}

/// An operator's action on the timeline, seen when it happened.
fn action(
    at: Timestamp,
    played: Timestamp,
    env: &str,
    op: &flightdeck_core::ops::Operation,
    what: String,
    deployment: Option<String>,
) -> Happening {
    Happening {
        at,
        environment: env.to_string(),
        kind: HappeningKind::Action,
        service: Some(op.service().to_string()),
        what,
        seen: played,
        deployment,
        run: 0,
    }
}

/// "deploy of cluster/service": what an action acts on.
fn subject(op: &flightdeck_core::ops::Operation) -> String {
    format!("{} of {}/{}", op.verb(), op.cluster(), op.service())
}

/// One line for the same thing said several times at one instant (ECS
/// tells of each unhealthy target in the same words).
fn drop_repeats(happenings: &mut Vec<Happening>) {
    let mut said = HashSet::new();
    happenings
        .retain(|h| said.insert((h.run, h.at, h.environment.clone(), h.kind, h.what.clone())));
}

/// The timeline as a Markdown table, ready for a postmortem document.
pub fn markdown(report: &Report) -> String {
    let mut out = format!(
        "## Timeline ({} UTC, from the flightdeck recording)\n\n| time (UTC) | environment | service | what |\n|---|---|---|---|\n",
        report.header.started.format("%Y-%m-%d")
    );
    let cell = markdown_cell;
    for h in &report.happenings {
        out.push_str(&format!(
            "| {} | {} | {} | {}: {} |\n",
            h.at.format("%H:%M:%S"),
            cell(&h.environment),
            cell(h.service.as_deref().unwrap_or("")),
            h.kind,
            cell(&h.what)
        ));
    }
    out
}

/// Text from AWS as one Markdown table cell that says exactly what it
/// says: sanitised, then every character that would make it something
/// else escaped. A backslash or a pipe cannot end the cell, brackets cannot
/// make a link or an image (`[docs](http://evil)`), `<` and `&` cannot make
/// HTML or an entity, a backquote cannot open code.
pub fn markdown_cell(text: &str) -> String {
    let clean = flightdeck_model::text::sanitize(text);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '\\' | '|' | '[' | ']' | '`' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_say_what_the_text_says() {
        assert_eq!(
            markdown_cell("see [the runbook](http://evil.example) ![x](http://t/p.png)"),
            "see \\[the runbook\\](http://evil.example) !\\[x\\](http://t/p.png)"
        );
        assert_eq!(
            markdown_cell("<img src=x onerror=alert(1)> &#x1b; <script>"),
            "&lt;img src=x onerror=alert(1)> &amp;#x1b; &lt;script>"
        );
        assert_eq!(
            markdown_cell("a|b \\| c `code`"),
            "a\\|b \\\\\\| c \\`code\\`"
        );
        assert_eq!(markdown_cell("OK -> ALARM\x1b[2J"), "OK -> ALARM?\\[2J");
    }

    proptest::proptest! {
        /// Whatever the text, the cell has no unescaped pipe (it stays one
        /// cell), no `<` or bracket that is not escaped, nothing unsafe.
        #[test]
        fn no_text_escapes_its_cell(text in "\\PC{0,40}|[\\\\|\\[\\]<>&`a ]{0,20}") {
            let cell = markdown_cell(&text);
            proptest::prop_assert!(!cell.contains('<'));
            proptest::prop_assert!(!cell.chars().any(flightdeck_model::text::is_unsafe));
            let mut escaped = false;
            for c in cell.chars() {
                if !escaped && matches!(c, '|' | '[' | ']' | '`') {
                    proptest::prop_assert!(false, "unescaped {c:?} in {cell:?}");
                }
                escaped = !escaped && c == '\\';
            }
        }
    }

    #[test]
    fn the_same_thing_said_twice_at_one_instant_is_one_line() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let line = |what: &str, secs: i64| Happening {
            at: at + chrono::Duration::seconds(secs),
            environment: "shop".into(),
            kind: HappeningKind::Event,
            service: Some("api".into()),
            what: what.into(),
            seen: at,
            deployment: None,
            run: 0,
        };
        let mut h = vec![
            line("unhealthy", 0),
            line("unhealthy", 0),
            line("other", 0),
            line("unhealthy", 0),
            line("unhealthy", 5),
        ];
        drop_repeats(&mut h);
        let left: Vec<_> = h.iter().map(|h| (h.what.as_str(), h.at)).collect();
        assert_eq!(
            left,
            [
                ("unhealthy", at),
                ("other", at),
                ("unhealthy", at + chrono::Duration::seconds(5))
            ]
        );
    }
}

#[cfg(test)]
mod wording_tests {
    use super::planned;
    use flightdeck_core::ops::{Operation, PlanError};

    /// A refused plan's line says "refused" once, though the error says
    /// it too.
    #[test]
    fn a_refused_plan_says_refused_once() {
        let op = Operation::Rollback {
            cluster: "c".into(),
            service: "api".into(),
            to: None,
        };
        let line = planned(&op, &Err(PlanError::Refused("read-only session".into())));
        assert!(line.ends_with("refused: read-only session"), "{line}");
        assert!(!line.contains("refused: refused"), "{line}");
    }
}
