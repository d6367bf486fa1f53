//! A drill being played (`demo --scenario`): its clock in the header, the
//! keys that pause it and change its speed, and the operator's response,
//! timed for the debrief at its end.

use chrono::Duration;
use flightdeck_model::Timestamp;
use flightdeck_model::clock::Hold;

/// How fast a drill runs at most while its fault unfolds: the drill's own
/// minutes to decide in, whatever the speed chosen (see [`Drill::hold`]).
pub const HELD_SPEED: u32 = 1;

/// What a good response looks like, minutes from the start.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GoodResponse {
    pub acknowledge_minutes: u32,
    pub cause_minutes: u32,
    pub mitigate_minutes: u32,
    pub cause: String,
    pub mitigation: String,
    /// The service where the cause lies.
    pub service: String,
    /// Looking at the service once ECS rolled it back counts as mitigating.
    pub ecs_rollback_counts: bool,
    /// The team's runbook actions that mitigate, by name.
    pub actions: Vec<String>,
}

/// The drill and the operator's response to it so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Drill {
    pub name: String,
    pub title: String,
    pub goal: String,
    pub outcome: String,
    pub environment: String,
    pub started: Timestamp,
    pub minutes: u32,
    /// What the script does, `(offset, words)`, for the debrief.
    pub script: Vec<(Duration, String)>,
    pub good: GoodResponse,
    pub speed: u32,
    pub paused: bool,
    /// The operator took the incident: the acknowledge key, as one
    /// acknowledges a page.
    pub acknowledged: Option<Timestamp>,
    /// The first look at the service where the cause lies.
    pub found_cause: Option<Timestamp>,
    /// The first write that went through in its environment.
    pub mitigated: Option<Timestamp>,
    /// What the operator did, in order.
    pub actions: Vec<(Timestamp, String)>,
    /// The debrief has been shown (it opens once, at the end).
    pub debriefed: bool,
    /// The restart key was pressed once: a second press restarts.
    pub restart_armed: bool,
    /// When the data first showed ECS rolling the cause's service back.
    pub ecs_rolled_back: Option<Timestamp>,
    /// The hold the drill's clock was last told (see [`Drill::hold`]).
    pub hold_sent: Option<Hold>,
    /// The page has been announced: once, after the first fault, when the
    /// drill's environment has a finding that pages (an alarm), as a real
    /// page comes from one.
    pub paged: bool,
    /// When the page went off: acknowledging is timed from it.
    pub paged_at: Option<Timestamp>,
}

/// What the drill's keys ask the runtime to do with its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillControl {
    Pause(bool),
    Speed(u32),
    /// Hold the speed down within a stretch (`None`: no longer).
    Hold(Option<Hold>),
    /// From its start again, same seed: the world and the clock reset.
    Restart,
}

/// ` m:ss` from the start, `3d before` for what happened before it, `-`
/// for what did not happen; five columns at least.
fn clock_text(d: Option<Duration>) -> String {
    let text = match d {
        None => "-".to_string(),
        Some(d) if d < Duration::zero() => {
            let back = -d;
            if back >= Duration::days(1) {
                // To the nearest day: 71 hours before is "3d before".
                format!("{}d before", (back + Duration::hours(12)).num_days())
            } else if back >= Duration::hours(1) {
                format!("{}h before", back.num_hours())
            } else {
                format!("{}m before", back.num_minutes())
            }
        }
        Some(d) => format!("{}:{:02}", d.num_minutes(), d.num_seconds().rem_euclid(60)),
    };
    format!("{text:>5}")
}

/// How a write the operator made in a drill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acted {
    /// It went through: a mitigation.
    Done,
    /// ECS had reached its end first (a rollback the circuit breaker
    /// made): nothing was called, nothing failed.
    NothingToDo,
    Failed,
}

/// What a drill is, before anyone responds to it.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillSpec {
    pub name: String,
    pub title: String,
    pub goal: String,
    pub outcome: String,
    pub environment: String,
    pub minutes: u32,
    pub script: Vec<(Duration, String)>,
    pub good: GoodResponse,
}

impl Drill {
    /// `spec` starting at `started`, at 1x, no response yet.
    pub fn new(spec: DrillSpec, started: Timestamp) -> Drill {
        Drill {
            name: spec.name,
            title: spec.title,
            goal: spec.goal,
            outcome: spec.outcome,
            environment: spec.environment,
            started,
            minutes: spec.minutes,
            script: spec.script,
            good: spec.good,
            speed: 1,
            paused: false,
            acknowledged: None,
            found_cause: None,
            mitigated: None,
            actions: vec![],
            debriefed: false,
            restart_armed: false,
            ecs_rolled_back: None,
            hold_sent: None,
            paged: false,
            paged_at: None,
        }
    }

    /// The same drill from its start, at its speed, no response yet.
    pub fn restarted(&self) -> Drill {
        let spec = DrillSpec {
            name: self.name.clone(),
            title: self.title.clone(),
            goal: self.goal.clone(),
            outcome: self.outcome.clone(),
            environment: self.environment.clone(),
            minutes: self.minutes,
            script: self.script.clone(),
            good: self.good.clone(),
        };
        Drill {
            speed: self.speed,
            ..Drill::new(spec, self.started)
        }
    }

    pub fn elapsed(&self, now: Timestamp) -> Duration {
        (now - self.started).max(Duration::zero())
    }

    pub fn over(&self, now: Timestamp) -> bool {
        self.elapsed(now) >= Duration::minutes(i64::from(self.minutes))
    }

    /// While the fault unfolds, from the first fault until the good
    /// response's time to mitigate (or the operator's mitigation, if
    /// sooner), the drill runs at [`HELD_SPEED`] at most: at 20x the
    /// circuit breaker would otherwise roll back before anyone could read
    /// a plan. `None` once mitigated.
    pub fn hold(&self) -> Option<Hold> {
        // Mitigated, or the fault is over: ECS rolled the service back.
        if self.mitigated.is_some() || self.ecs_rolled_back.is_some() {
            return None;
        }
        let from = self.incident_at();
        let until = (self.started + Duration::minutes(i64::from(self.good.mitigate_minutes)))
            .max(from + Duration::minutes(1));
        Some(Hold {
            from,
            until,
            max: HELD_SPEED,
        })
    }

    /// The speed the drill runs at `now`: the chosen one, or the hold's.
    pub fn running_speed(&self, now: Timestamp) -> u32 {
        self.hold()
            .map_or(self.speed, |h| h.speed_at(now, self.speed))
    }

    /// `DRILL bad-deploy ▶ 1x 3:12/20:00` (paused `||`, ended `OVER`,
    /// held `▶ 1x held`), short enough for the header at 80 columns.
    pub fn header(&self, now: Timestamp) -> String {
        let running = self.running_speed(now);
        let held = if running < self.speed { " held" } else { "" };
        let state = if self.over(now) {
            "OVER".to_string()
        } else if self.paused {
            format!("|| {running}x{held}")
        } else {
            format!("▶ {running}x{held}")
        };
        // Over, the clock stops at the drill's length: the world goes on,
        // the drill does not.
        let elapsed = self
            .elapsed(now)
            .min(Duration::minutes(i64::from(self.minutes)));
        format!(
            "DRILL {} {state} {}/{}:00",
            self.name,
            clock_text(Some(elapsed)).trim_start(),
            self.minutes
        )
    }

    /// `3:12`: how far into the drill `at` is.
    pub fn clock(&self, at: Timestamp) -> String {
        clock_text(Some(at - self.started)).trim_start().to_string()
    }

    /// The header without the drill's name, for narrow terminals.
    pub fn header_short(&self, now: Timestamp) -> String {
        self.header(now)
            .replacen(&format!(" {} ", self.name), " ", 1)
    }

    /// The least the header says: `DRILL ▶ 1x held 3:12`.
    pub fn header_least(&self, now: Timestamp) -> String {
        self.header_short(now)
            .replacen(&format!("/{}:00", self.minutes), "", 1)
    }

    /// When the first fault of the script happens: looks before it are
    /// not a response to anything.
    pub fn incident_at(&self) -> Timestamp {
        self.script
            .iter()
            .map(|(offset, _)| *offset)
            .filter(|o| *o >= Duration::zero())
            .min()
            .map_or(self.started, |o| self.started + o)
    }

    /// The operator acknowledged the page: took the incident. Once; not
    /// before the page (there is nothing to acknowledge yet).
    /// `false` when it does not count.
    pub fn acknowledge(&mut self, now: Timestamp) -> bool {
        if self.over(now) || !self.paged || self.acknowledged.is_some() {
            return false;
        }
        self.acknowledged = Some(now);
        true
    }

    /// The operator looked at something of the drill's environment: a
    /// finding, a service (`service`), its logs or its changes. Looking at
    /// the cause's service is finding the cause; once ECS rolled it back
    /// (where the scenario counts that), it is seeing it mitigated.
    pub fn saw(&mut self, now: Timestamp, env: &str, service: Option<&str>) {
        if env != self.environment || self.over(now) || now < self.incident_at() {
            return;
        }
        if service != Some(self.good.service.as_str()) {
            return;
        }
        if self.found_cause.is_none() {
            self.found_cause = Some(now);
            self.actions
                .push((now, format!("looked at {}", self.good.service)));
        }
        if self.good.ecs_rollback_counts
            && self.ecs_rolled_back.is_some()
            && self.mitigated.is_none()
        {
            self.mitigated = Some(now);
            self.actions
                .push((now, format!("saw ECS roll {} back", self.good.service)));
        }
    }

    /// The data shows ECS rolling the cause's service back (its circuit
    /// breaker, a rollback alarm): noted once, after the first fault.
    pub fn ecs_rolling_back(&mut self, now: Timestamp) {
        if now >= self.incident_at() && !self.over(now) {
            self.ecs_rolled_back.get_or_insert(now);
        }
    }

    /// A write the operator made on `service` in `env`, and how it ended.
    /// It is not an acknowledgement: that is the acknowledge key's alone.
    /// It mitigates only on the service where the cause lies: deploying a
    /// caller of a slow dependency does not make it fast.
    pub fn acted(&mut self, now: Timestamp, env: &str, service: &str, what: String, ended: Acted) {
        if env != self.environment {
            return;
        }
        let on_the_cause = service == self.good.service;
        if ended == Acted::Done && on_the_cause && self.mitigated.is_none() {
            self.mitigated = Some(now);
        }
        let how = match ended {
            Acted::Done if on_the_cause => String::new(),
            Acted::Done => format!(" (not on {}: no mitigation)", self.good.service),
            Acted::NothingToDo => ": nothing to do, ECS had already rolled back".into(),
            Acted::Failed => " (failed)".into(),
        };
        self.actions.push((now, format!("{what}{how}")));
    }

    /// A writing runbook action the operator ran (`name`, on `service`, or
    /// on the environment when empty), and how it ended: one the scenario
    /// names in its good response mitigates as a write on the cause does.
    pub fn ran_action(
        &mut self,
        now: Timestamp,
        env: &str,
        (name, service): (&str, &str),
        ended: Acted,
    ) {
        if env != self.environment {
            return;
        }
        let named = self.good.actions.iter().any(|a| a == name);
        let on_the_cause = service.is_empty() || service == self.good.service;
        let what = if service.is_empty() {
            format!("action {name}")
        } else {
            format!("action {name} on {service}")
        };
        if !named {
            return self.acted(now, env, service, what, ended);
        }
        if ended == Acted::Done && on_the_cause && self.mitigated.is_none() {
            self.mitigated = Some(now);
        }
        let how = match ended {
            Acted::Done if on_the_cause => " (the team's fix)".to_string(),
            Acted::Done => format!(
                " (the team's fix, but not on {}: no mitigation)",
                self.good.service
            ),
            Acted::NothingToDo | Acted::Failed => " (failed)".into(),
        };
        self.actions.push((now, format!("{what}{how}")));
    }

    /// The debrief: what happened, what the operator did and when, against
    /// what a good response looked like; `acknowledge_key` is the key the
    /// operator acknowledges with.
    pub fn debrief(&self, acknowledge_key: &str) -> Vec<DebriefLine> {
        use DebriefLine as L;
        let at = |t: Option<Timestamp>| t.map(|t| t - self.started);
        let mut out = vec![
            L::heading(format!(
                "{}: {} ({} min)",
                self.name, self.title, self.minutes
            )),
            L::blank(),
            L::heading("What happened"),
        ];
        for (offset, what) in &self.script {
            out.push(L::body(format!("  {}  {what}", clock_text(Some(*offset)))));
        }
        out.push(L::body(format!("  {}", self.outcome)));
        out.push(L::blank());
        out.push(L::heading("What you did"));
        if self.actions.is_empty() && self.acknowledged.is_none() {
            out.push(L::body("  nothing"));
        }
        let mut did: Vec<(Timestamp, String)> = self.actions.clone();
        if let Some(t) = self.acknowledged {
            did.push((t, "acknowledged the page".into()));
        }
        did.sort_by_key(|(t, _)| *t);
        for (t, what) in &did {
            out.push(L::body(format!("  {}  {what}", clock_text(at(Some(*t))))));
        }
        out.push(L::blank());
        out.push(L::heading("Against a good response"));
        // A step's time since the drill began, judged against the good
        // response's minutes counted from `from` (the page, for
        // acknowledging; else the start).
        let row = |label: &str, t: Option<Timestamp>, good: u32, from: Option<Timestamp>| {
            let took = at(t);
            let since = t.map(|t| t - from.unwrap_or(self.started));
            let (verdict, kind) = match since {
                Some(d) if d <= Duration::minutes(i64::from(good)) => {
                    ("in time", DebriefKind::Body)
                }
                Some(_) => ("late", DebriefKind::Missed),
                None => ("not done", DebriefKind::Missed),
            };
            let of = from.map_or(String::new(), |page| {
                format!(" of the page ({})", clock_text(at(Some(page))).trim_start())
            });
            DebriefLine {
                kind,
                text: format!(
                    "  {label:<14} {}   good: within {good} min{of}   {verdict}",
                    clock_text(took)
                ),
            }
        };
        // Acknowledging is timed from the page, which comes with the first
        // finding that pages, not from the fault.
        out.push(row(
            "acknowledge",
            self.acknowledged,
            self.good.acknowledge_minutes,
            self.paged_at.filter(|_| self.acknowledged.is_some()),
        ));
        out.push(row(
            "find the cause",
            self.found_cause,
            self.good.cause_minutes,
            None,
        ));
        out.push(row(
            "mitigate",
            self.mitigated,
            self.good.mitigate_minutes,
            None,
        ));
        out.push(L::blank());
        out.push(L::heading(format!("The cause: {}", self.good.cause)));
        out.push(L::heading(format!(
            "A good mitigation: {}",
            self.good.mitigation
        )));
        out.push(L::blank());
        out.push(L::heading(format!(
            "Acknowledge is a key ({acknowledge_key}), as one acknowledges a page: the moment you take the incident. Find the cause is the first look at {} (its detail, logs, changes or rollout). Mitigate is the first write on {} that goes through{}{}.",
            self.good.service,
            self.good.service,
            if self.good.ecs_rollback_counts {
                format!(", or looking at {} once ECS has rolled it back", self.good.service)
            } else {
                String::new()
            },
            if self.good.actions.is_empty() {
                String::new()
            } else {
                format!(", or the team's action {} on it", self.good.actions.join(" or "))
            }
        )));
        out
    }
}

/// What a line of the debrief is, for the screen to style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebriefKind {
    /// A section's title, the drill's name, the cause and the closing note.
    Heading,
    /// Everything else, blank lines included.
    Body,
    /// A step of a good response done late, or not at all.
    Missed,
}

/// One line of a drill's debrief: its text and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebriefLine {
    pub kind: DebriefKind,
    pub text: String,
}

impl DebriefLine {
    fn heading(text: impl Into<String>) -> Self {
        DebriefLine {
            kind: DebriefKind::Heading,
            text: text.into(),
        }
    }

    fn body(text: impl Into<String>) -> Self {
        DebriefLine {
            kind: DebriefKind::Body,
            text: text.into(),
        }
    }

    fn blank() -> Self {
        Self::body(String::new())
    }
}

impl std::fmt::Display for DebriefLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A debrief as plain text, a line each.
pub fn debrief_text(lines: &[DebriefLine]) -> String {
    lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 30, 0)
            .unwrap()
            + Duration::seconds(secs)
    }

    fn drill() -> Drill {
        Drill::new(
            DrillSpec {
                name: "bad-deploy".into(),
                title: "A deploy of backend fails its health checks".into(),
                goal: "roll it back".into(),
                outcome: "ROLLED BACK by the circuit breaker".into(),
                environment: "muejam-production".into(),
                minutes: 20,
                script: vec![(
                    Duration::minutes(1),
                    "CI deploys backend (unhealthy)".into(),
                )],
                good: GoodResponse {
                    acknowledge_minutes: 3,
                    cause_minutes: 6,
                    mitigate_minutes: 8,
                    cause: "the new revision fails its health checks".into(),
                    mitigation: "roll back backend".into(),
                    service: "backend".into(),
                    ecs_rollback_counts: true,
                    actions: vec!["restart-backend".into()],
                },
            },
            t(0),
        )
    }

    #[test]
    fn the_debrief_times_the_response_against_a_good_one() {
        let mut d = drill();
        assert!(!d.acknowledge(t(30)), "before the deploy at 1:00");
        d.saw(t(30), "muejam-production", Some("backend"));
        assert_eq!(d.found_cause, None, "before the deploy at 1:00");
        d.saw(t(70), "radiox-prod", Some("backend"));
        assert_eq!(d.found_cause, None, "another environment");
        // The page went off (the cockpit says so once the drill's
        // environment has a finding that pages).
        d.paged = true;
        d.paged_at = Some(t(140));
        assert!(d.acknowledge(t(150)));
        assert!(!d.acknowledge(t(160)), "once");
        d.saw(t(200), "muejam-production", Some("frontend"));
        d.saw(t(245), "muejam-production", Some("backend"));
        d.acted(
            t(400),
            "muejam-production",
            "frontend",
            "deploy of frontend".into(),
            Acted::Done,
        );
        assert_eq!(d.mitigated, None, "not where the cause lies");
        d.acted(
            t(600),
            "muejam-production",
            "backend",
            "rollback of backend".into(),
            Acted::Done,
        );
        let text = debrief_text(&d.debrief("a"));
        assert!(
            text.contains(" 1:00  CI deploys backend (unhealthy)"),
            "{text}"
        );
        assert!(text.contains(" 2:30  acknowledged the page"), "{text}");
        assert!(
            text.contains("acknowledge     2:30   good: within 3 min of the page (2:20)   in time"),
            "{text}"
        );
        assert!(
            text.contains("find the cause  4:05   good: within 6 min   in time"),
            "{text}"
        );
        assert!(
            text.contains("mitigate       10:00   good: within 8 min   late"),
            "{text}"
        );
        assert!(
            d.header(t(192))
                .starts_with("DRILL bad-deploy ▶ 1x 3:12/20:00")
        );
        // Over, its clock stops at its length (QA: "OVER 75:41").
        assert_eq!(d.header(t(75 * 60)), "DRILL bad-deploy OVER 20:00/20:00");
    }

    /// A runbook action the scenario names mitigates on the cause (or on
    /// the environment); another writing action is told, no mitigation.
    #[test]
    fn the_teams_own_fix_counts_in_the_debrief() {
        let mut d = drill();
        d.ran_action(
            t(200),
            "muejam-production",
            ("flush-cdn", "frontend"),
            Acted::Done,
        );
        d.ran_action(
            t(250),
            "muejam-production",
            ("restart-backend", "frontend"),
            Acted::Done,
        );
        assert_eq!(d.mitigated, None);
        d.ran_action(
            t(280),
            "muejam-production",
            ("restart-backend", "backend"),
            Acted::Failed,
        );
        assert_eq!(d.mitigated, None, "a failed run mitigates nothing");
        d.ran_action(
            t(300),
            "muejam-production",
            ("restart-backend", "backend"),
            Acted::Done,
        );
        assert_eq!(d.mitigated, Some(t(300)));
        let text = debrief_text(&d.debrief("a"));
        assert!(
            text.contains("action flush-cdn on frontend (not on backend: no mitigation)"),
            "{text}"
        );
        assert!(
            text.contains("action restart-backend on backend (the team's fix)"),
            "{text}"
        );
        assert!(
            text.contains("or the team's action restart-backend on it"),
            "{text}"
        );
        assert!(
            text.contains("mitigate        5:00   good: within 8 min   in time"),
            "{text}"
        );
    }

    #[test]
    fn what_happened_days_before_is_said_to_the_nearest_day() {
        assert_eq!(clock_text(Some(-Duration::hours(71))), "3d before");
        assert_eq!(clock_text(Some(-Duration::days(3))), "3d before");
        assert_eq!(clock_text(Some(-Duration::hours(5))), "5h before");
    }

    #[test]
    fn nothing_done_says_so() {
        let text = debrief_text(&drill().debrief("a"));
        assert!(text.contains("What you did\n  nothing"), "{text}");
        assert!(
            text.contains("find the cause     -   good: within 6 min   not done"),
            "{text}"
        );
    }
}
