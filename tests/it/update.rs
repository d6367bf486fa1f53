//! The pure `update()`: keys and data in, state out, no terminal.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;

use common::Harness;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::{Effect, InputTarget, Msg, Overlay, Pane, update};
use proptest::prelude::*;

#[test]
fn number_keys_and_tab_switch_panes() {
    let mut h = Harness::new();
    h.keys("1");
    assert_eq!(h.app.pane, Pane::Services);
    h.keys("0");
    assert_eq!(h.app.pane, Pane::Triage);
    h.keys("3");
    assert_eq!(h.app.pane, Pane::Alarms);
    h.key(KeyCode::Tab);
    assert_eq!(h.app.pane, Pane::Logs);
    h.key(KeyCode::BackTab);
    h.key(KeyCode::BackTab);
    assert_eq!(h.app.pane, Pane::Scaling);
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut h = Harness::new();
    let effects = update(
        &mut h.app,
        Msg::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
    );
    assert_eq!(effects, vec![Effect::Quit]);
    let mut h = Harness::new();
    h.keys("/");
    let effects = update(
        &mut h.app,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert_eq!(
        effects,
        vec![Effect::Quit],
        "Ctrl-C quits even while typing"
    );
}

#[test]
fn filter_narrows_the_list_and_esc_clears_it() {
    let mut h = Harness::new();
    h.keys("1/proc");
    assert_eq!(h.app.input, Some(InputTarget::Filter(Pane::Services)));
    h.key(KeyCode::Enter);
    let names: Vec<_> = h
        .app
        .service_rows()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names, ["processing-service"]);
    h.key(KeyCode::Esc);
    assert_eq!(h.app.service_rows().len(), 2);
}

#[test]
fn enter_opens_a_service_enter_again_its_logs_and_esc_goes_back() {
    let mut h = Harness::new();
    h.keys("1");
    h.key(KeyCode::Char('j'));
    h.key(KeyCode::Enter);
    assert_eq!(
        h.app.detail,
        Some(flightdeck::model::ServiceRef::new(
            "radiox-prod",
            "processing-service"
        ))
    );
    assert!(
        h.app
            .env()
            .tasks
            .contains_key(&flightdeck::model::ServiceRef::new(
                "radiox-prod",
                "processing-service"
            )),
        "tasks are polled for the open detail"
    );
    h.key(KeyCode::Enter);
    assert_eq!(h.app.pane, Pane::Logs);
    assert_eq!(
        h.app.log_group().as_deref(),
        Some("/ecs/radiox-prod/processing-service")
    );
    assert!(!h.app.log_lines().is_empty());
    h.keys("1");
    h.key(KeyCode::Esc);
    assert_eq!(h.app.detail, None);
}

#[test]
fn palette_jumps_to_an_environment_and_a_service() {
    let mut h = Harness::new();
    h.keys(":");
    h.keys("env muejam-prod");
    h.key(KeyCode::Enter);
    assert_eq!(h.app.env().info.name, "muejam-production");
    h.keys(":");
    h.keys("reelnet frontend");
    h.key(KeyCode::Enter);
    assert_eq!(h.app.env().info.name, "reelnet-prod");
    assert_eq!(
        h.app.detail,
        Some(flightdeck::model::ServiceRef::new(
            "reelnet-prod",
            "frontend-service"
        ))
    );
    h.keys(":");
    h.keys("pane costs");
    h.key(KeyCode::Enter);
    assert_eq!(h.app.pane, Pane::Costs);
}

#[test]
fn env_switcher_switches_and_resets_the_view() {
    let mut h = Harness::new();
    h.keys("/x");
    h.key(KeyCode::Enter);
    h.keys("e");
    assert_eq!(
        h.app.overlay,
        Some(Overlay::EnvSwitcher {
            selected: 0,
            filter: None
        })
    );
    h.keys("jjj");
    h.key(KeyCode::Enter);
    assert_eq!(h.app.env().info.name, "tellmemore-prod");
    assert_eq!(h.app.filter(Pane::Services), "");
    assert_eq!(h.app.service_rows().len(), 5);
}

#[test]
fn logs_follow_pause_search_and_bounded_buffer() {
    let mut h = Harness::new();
    h.keys("4");
    assert!(h.app.logs.follow);
    h.key(KeyCode::Char('k'));
    assert!(!h.app.logs.follow, "scrolling up pauses");
    assert_eq!(h.app.logs.scroll, 1);
    h.keys("G");
    assert!(h.app.logs.follow, "G goes back to the newest and follows");
    h.keys("f");
    assert!(!h.app.logs.follow);
    let before = h.app.log_lines().len();
    h.advance(chrono::Duration::seconds(30));
    // Paused: the buffer still grows, the view stays put.
    assert!(h.app.log_lines().len() >= before);
    h.keys("f");
    h.keys("sGET");
    h.key(KeyCode::Enter);
    let m = h.app.logs.current_match.expect("a match");
    assert!(h.app.log_lines()[m].message.contains("GET"));
    h.keys("n");
    h.advance(chrono::Duration::minutes(30));
    let source = h.app.log_source().unwrap();
    assert!(h.app.env().logs[&source].events.len() <= flightdeck::app::LOG_BUFFER);
}

#[test]
fn data_keeps_moving_with_the_clock() {
    let mut h = Harness::new();
    h.keys("1");
    let first = h.app.env().services.fetched_at;
    h.advance(chrono::Duration::seconds(10));
    assert!(h.app.env().services.fetched_at > first);
    assert_eq!(h.app.data_fetched_at(), h.app.env().services.fetched_at);
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut h = Harness::new();
    h.keys("?");
    assert!(matches!(h.app.overlay, Some(Overlay::Help { .. })));
    h.keys("x");
    assert_eq!(h.app.overlay, None);
}

/// `o` sorts the services by the next column, `O` the other way; the
/// header marks the column and the selected service stays selected. At
/// 200 columns no name, task definition or cluster is cut.
#[test]
fn services_sort_by_a_key_and_wide_screens_cut_nothing() {
    let mut h = Harness::new();
    h.go_to_env("prod-infra-production");
    h.keys("1");
    let names = |h: &Harness| -> Vec<String> {
        h.app
            .service_rows()
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    let by_name = names(&h);
    h.keys("j");
    let selected = h.app.selected_service().unwrap().name.clone();
    h.keys("o");
    assert_eq!(h.app.notice.as_deref(), Some("services by tasks short"));
    let rows = h.app.service_rows();
    // Short first, then pending, then the most desired: a list at full
    // strength still moves (QA: it did not).
    let short: Vec<(u32, u32, u32)> = rows
        .iter()
        .map(|s| (s.desired.saturating_sub(s.running), s.pending, s.desired))
        .collect();
    assert!(short.windows(2).all(|w| w[0] >= w[1]), "{short:?}");
    assert_eq!(h.app.selected_service().unwrap().name, selected, "kept");
    let mono = common::theme("monochrome");
    assert!(h.screen(120, 30, &mono).contains("DES/RUN/PEND▼"));
    // Around to the name again, then the other way.
    for _ in 1..flightdeck::app::ServiceSort::ALL.len() {
        h.keys("o");
    }
    assert_eq!(names(&h), by_name);
    h.keys("O");
    let mut reversed = by_name.clone();
    reversed.reverse();
    assert_eq!(names(&h), reversed);
    // Z to A: the arrow points down, as CPU▼ does for the busiest first.
    assert!(h.screen(120, 30, &mono).contains("SERVICE▼"));
    // Everything whole on a wide screen.
    let wide = h.screen(200, 60, &mono);
    for s in h.app.service_rows() {
        let row = wide
            .lines()
            .find(|l| l.contains(&format!(" {} ", s.name)))
            .unwrap_or_else(|| panic!("{} cut: {wide}", s.name));
        assert!(row.contains(&s.task_definition.to_string()), "{row}");
        assert!(row.contains(&format!(" {} ", s.cluster)), "{row}");
    }
}

/// A finding's words count seconds ("in ALARM for 36s"): they tick with
/// the clock, as the SINCE column does, not every 10 s.
#[test]
fn a_findings_age_ticks_with_the_clock() {
    let mut h = Harness::new();
    // An alarm that went off 30 s ago, as the last poll read it.
    let now = h.app.now;
    let alarm = h
        .app
        .envs
        .iter_mut()
        .filter_map(|e| e.alarms.data.as_mut())
        .flat_map(|list| list.iter_mut())
        .find(|a| a.severity == flightdeck::model::Severity::Critical)
        .expect("a critical alarm");
    alarm.state = flightdeck::model::AlarmState::Alarm;
    alarm.state_updated_at = now - chrono::Duration::seconds(30);
    let name = alarm.name.clone();
    h.app.triage_inputs += 1;
    let why = |h: &Harness| {
        h.app
            .triage()
            .into_iter()
            .find(|f| f.subject == name)
            .unwrap()
            .why
    };
    assert!(why(&h).contains("in ALARM for 30s"), "{}", why(&h));
    update(&mut h.app, Msg::Tick(now + chrono::Duration::seconds(3)));
    assert!(why(&h).contains("in ALARM for 33s"), "{}", why(&h));
}

/// Help at 80x24 is longer than the screen: `G` goes to its last row (it
/// used to close it), `j` past the end stays there, the title says which
/// rows show; the environment switcher takes `G` and `g` too.
#[test]
fn help_scrolls_to_its_end_and_no_further_and_the_switcher_takes_g() {
    let mut h = Harness::new();
    let mono = common::theme("monochrome");
    h.keys("?");
    let top = h.screen(80, 24, &mono);
    assert!(top.contains("rows 1-19 of "), "{top}");
    h.keys("G");
    let Some(Overlay::Help { scroll }) = h.app.overlay else {
        panic!("G closed help: {:?}", h.app.overlay);
    };
    let end = h.screen(80, 24, &mono);
    assert!(end.contains("States are always written out"), "{end}");
    h.keys("jjj");
    assert_eq!(h.app.overlay, Some(Overlay::Help { scroll }), "no further");
    assert_eq!(h.screen(80, 24, &mono), end);
    h.keys("g");
    assert_eq!(h.app.overlay, Some(Overlay::Help { scroll: 0 }));
    h.key(KeyCode::Esc);
    h.keys("e");
    h.keys("G");
    let last = h.app.envs.len() - 1;
    assert_eq!(
        h.app.overlay,
        Some(Overlay::EnvSwitcher {
            selected: last,
            filter: None
        })
    );
    h.keys("g");
    assert_eq!(
        h.app.overlay,
        Some(Overlay::EnvSwitcher {
            selected: 0,
            filter: None
        })
    );
}

/// Issue 25: the switcher filters as one types (after `/`), for hundreds
/// of environments: name, region or account; the arrows move among the
/// matches, Enter switches to the one marked, Esc clears the filter first.
#[test]
fn the_environment_switcher_filters_as_one_types() {
    let mut h = Harness::new();
    let mono = common::theme("monochrome");
    h.keys("e");
    h.keys("/");
    h.keys("staging");
    let Some(Overlay::EnvSwitcher { selected, filter }) = h.app.overlay.clone() else {
        panic!("{:?}", h.app.overlay);
    };
    assert_eq!(filter.as_deref(), Some("staging"));
    let rows = h.app.switcher_rows(Some("staging"));
    assert!(!rows.is_empty() && rows.len() < h.app.envs.len());
    assert_eq!(selected, rows[0], "the first match");
    let screen = h.screen(80, 24, &mono);
    assert!(
        screen.contains(&format!("/staging▏ {} of {}", rows.len(), h.app.envs.len())),
        "{screen}"
    );
    let listed: Vec<&str> = screen
        .lines()
        .filter(|l| l.trim_start_matches([' ', '"']).starts_with('│'))
        .collect();
    for env in &h.app.envs {
        assert_eq!(
            listed
                .iter()
                .any(|l| l.contains(&format!(" {} ", env.info.name))),
            env.info.name.contains("staging"),
            "{}: {screen}",
            env.info.name
        );
    }
    // `j` and `e` are letters of the filter now, not keys.
    h.keys("je");
    assert!(h.app.overlay.is_some());
    assert!(h.screen(80, 24, &mono).contains("no environment matches"));
    h.key(KeyCode::Backspace);
    h.key(KeyCode::Backspace);
    if rows.len() > 1 {
        h.key(KeyCode::Down);
    }
    let want = rows[rows.len().min(2) - 1];
    h.key(KeyCode::Enter);
    assert_eq!(h.app.overlay, None);
    assert_eq!(h.app.current, want);
    // Esc clears the filter, a second closes.
    h.keys("e/zz");
    h.key(KeyCode::Esc);
    assert!(matches!(
        h.app.overlay,
        Some(Overlay::EnvSwitcher { filter: None, .. })
    ));
    h.key(KeyCode::Esc);
    assert_eq!(h.app.overlay, None);
}

/// Issue 23, item 3 (QA): the service detail scrolls no further than its
/// last row, says which rows show, and `k` after `G` moves at once.
#[test]
fn the_service_detail_scrolls_to_its_end_and_says_where_it_is() {
    let mut h = Harness::new();
    let mono = common::theme("monochrome");
    h.keys("1");
    h.key(KeyCode::Enter);
    let top = h.screen(80, 24, &mono);
    let rows = |screen: &str| -> (u32, u32, u32) {
        let at = screen.find("rows ").unwrap_or_else(|| panic!("{screen}"));
        let words: Vec<u32> = screen[at + 5..]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|w| !w.is_empty())
            .take(3)
            .filter_map(|w| w.parse().ok())
            .collect();
        (words[0], words[1], words[2])
    };
    let (first, _, total) = rows(&top);
    assert_eq!(first, 1);
    h.keys("G");
    let end = h.screen(80, 24, &mono);
    let (_, last, same) = rows(&end);
    assert_eq!((last, same), (total, total), "{end}");
    assert!(
        end.contains("TASK DEFINITION"),
        "the last section shows: {end}"
    );
    h.keys("G");
    h.keys("k");
    let up = h.screen(80, 24, &mono);
    assert_eq!(rows(&up).1, total - 1, "{up}");
    for _ in 0..40 {
        h.key(KeyCode::PageDown);
    }
    assert_eq!(h.screen(80, 24, &mono), end, "PgDn stops at the end");
}

/// One loaded app (every environment's services and alarms) shared by the cases.
fn loaded_app() -> &'static flightdeck::app::App {
    static APP: std::sync::OnceLock<flightdeck::app::App> = std::sync::OnceLock::new();
    APP.get_or_init(|| Harness::new().app)
}

/// The app on the logs pane, its lines loaded.
fn logs_app() -> &'static flightdeck::app::App {
    static APP: std::sync::OnceLock<flightdeck::app::App> = std::sync::OnceLock::new();
    APP.get_or_init(|| {
        let mut h = Harness::new();
        h.keys("4");
        assert!(h.app.log_lines().len() > 50, "lines to search");
        h.app
    })
}

fn key_strategy() -> impl Strategy<Value = KeyEvent> {
    let codes = prop_oneof![
        prop::sample::select(vec![
            'j', 'k', 'g', 'G', '/', '?', ':', 'e', 'f', 's', 'n', 'N', 'w', 't', '[', ']', '1',
            '2', '3', '4', '5', 'a', 'r'
        ])
        .prop_map(KeyCode::Char),
        Just(KeyCode::Enter),
        Just(KeyCode::Esc),
        Just(KeyCode::Tab),
        Just(KeyCode::BackTab),
        Just(KeyCode::Up),
        Just(KeyCode::Down),
        Just(KeyCode::PageUp),
        Just(KeyCode::PageDown),
        Just(KeyCode::Backspace),
    ];
    codes.prop_map(|c| KeyEvent::new(c, KeyModifiers::NONE))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Long random key sequences never panic, never quit without q, keep
    /// every selection inside its list, and always render.
    #[test]
    fn random_keys_keep_the_state_consistent(keys in prop::collection::vec(key_strategy(), 1..300)) {
        let mut app = loaded_app().clone();
        let dark = common::theme("dark");
        for key in keys {
            let effects = update(&mut app, Msg::Key(key));
            prop_assert!(effects.is_empty());
            prop_assert!(!app.quit);
            prop_assert!(app.selected(Pane::Services) < app.service_rows().len().max(1));
            prop_assert!(app.selected(Pane::Alarms) < app.alarm_rows().len().max(1));
            prop_assert!(app.current < app.envs.len());
        }
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| flightdeck::ui::render(f, &app, &dark)).unwrap();
    }
}

#[test]
fn read_only_shows_in_the_header() {
    let mut h = Harness::new();
    let dark = common::theme("dark");
    assert!(h.screen(80, 24, &dark).contains("[RW]"));
    h.app.read_only = true;
    assert!(h.screen(80, 24, &dark).contains("[RO]"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever is typed as a filter, every row shown matches it and the
    /// selection stays inside the rows.
    #[test]
    fn filters_show_only_what_matches(pane in 0usize..3, filter in "[a-zA-Z0-9 _/:.-]{0,8}|.{0,6}") {
        let mut app = loaded_app().clone();
        app.pane = [Pane::Services, Pane::Scaling, Pane::Alarms][pane];
        app.input = Some(InputTarget::Filter(app.pane));
        for c in filter.chars() {
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
        }
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        let f = app.filter(app.pane).to_lowercase();
        for s in app.service_rows() {
            prop_assert!(app.pane != Pane::Services || s.name.to_lowercase().contains(&f)
                || s.cluster.to_lowercase().contains(&f)
                || s.task_definition.to_string().contains(&f));
        }
        for a in app.alarm_rows() {
            prop_assert!(app.pane != Pane::Alarms || a.name.to_lowercase().contains(&f)
                || a.display_name().to_lowercase().contains(&f)
                || a.metric.as_str().to_lowercase().contains(&f)
                || a.state.as_str().to_lowercase().contains(&f));
        }
        for t in app.target_rows() {
            prop_assert!(app.pane != Pane::Scaling || t.service.to_lowercase().contains(&f)
                || t.cluster.to_lowercase().contains(&f));
        }
        prop_assert!(app.selected(app.pane) < app.service_rows().len().max(app.alarm_rows().len()).max(app.target_rows().len()).max(1));
    }

    /// A log search lands on a line that contains it, or stays put when
    /// nothing does; n and N never leave the lines.
    #[test]
    fn log_search_lands_on_matches(needle in "[a-z0-9 ]{1,3}|GET|error|timeout", steps in prop::collection::vec(prop::bool::ANY, 0..6)) {
        let mut app = logs_app().clone();
        app.input = Some(InputTarget::LogSearch);
        for c in needle.chars() {
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
        }
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        for forward in steps {
            let key = if forward { 'n' } else { 'N' };
            let mods = if forward { KeyModifiers::NONE } else { KeyModifiers::SHIFT };
            update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char(key), mods)));
        }
        let lines = app.log_lines();
        if let Some(i) = app.logs.current_match {
            prop_assert!(i < lines.len());
            prop_assert!(lines[i].message.to_lowercase().contains(&needle.to_lowercase()));
        } else {
            prop_assert!(!lines.iter().any(|l| l.message.to_lowercase().contains(&needle.to_lowercase())));
        }
    }
}

/// The 3 a.m. path: the cockpit opens on triage when anything needs a
/// human, and one key reaches the evidence of the top finding.
#[test]
fn the_cockpit_opens_on_triage_and_one_key_reaches_the_evidence() {
    let mut h = Harness::new();
    let findings = h.app.triage();
    assert!(
        !findings.is_empty(),
        "seed 42 has something firing at the start"
    );
    assert_eq!(h.app.pane, Pane::Triage, "opened on triage: 0 keys");
    let top = findings[0].clone();
    // Key 1: Enter.
    h.key(KeyCode::Enter);
    assert_eq!(h.app.env().info.name, top.environment);
    match &top.service {
        Some(service) => {
            assert_eq!(h.app.pane, Pane::Logs);
            assert_eq!(h.app.log_source_service().as_ref(), Some(service));
            // Error lines only; where the service logged none since the
            // finding, every line, and the footer says so.
            let lines = h.app.log_lines();
            match h.app.filter(Pane::Logs) {
                "error" => assert!(
                    lines
                        .iter()
                        .all(|l| l.message.to_lowercase().contains("error")),
                    "only error lines"
                ),
                "" => assert!(
                    h.app
                        .notice
                        .as_deref()
                        .is_some_and(|n| n.starts_with("no lines with \"error\" since")),
                    "{:?}",
                    h.app.notice
                ),
                other => panic!("filter {other}"),
            }
            // Paused with the first failure since the finding near the top
            // of the view, what followed it below.
            assert!(!h.app.logs.follow);
            assert!(!lines.is_empty());
            let first = lines
                .iter()
                .position(|l| l.timestamp >= top.since)
                .unwrap_or(lines.len() - 1);
            let end = lines.len() - h.app.logs.scroll;
            assert!(first < end && end - first <= h.app.page, "{first} {end}");
        }
        None => assert_eq!(
            h.app.selected_alarm().map(|a| a.name.clone()),
            Some(top.subject)
        ),
    }
}

#[test]
fn a_service_alarm_leads_to_its_error_lines_in_one_key() {
    let mut h = Harness::new();
    // Every finding about a service leads to that service's error lines.
    let findings = h.app.triage();
    for (i, f) in findings.iter().enumerate() {
        let Some(service) = &f.service else { continue };
        h.keys("0");
        h.app.selected[Pane::Triage.index()] = i;
        h.key(KeyCode::Enter);
        assert_eq!(h.app.log_source_service().as_ref(), Some(service), "{f:?}");
    }
    // Nothing to pick: no panic, no move.
    h.keys("0");
    h.app
        .envs
        .iter_mut()
        .for_each(|e| e.alarms.data = Some(vec![]));
    h.app.triage_inputs += 1;
    h.key(KeyCode::Enter);
}

/// The 3 a.m. question after *what is wrong*: *what changed*. From the
/// cockpit's first screen, `c` shows the timeline of the top finding's
/// service (1 key); `c` again the whole environment's; `K` keeps one kind;
/// Enter on an alarm's change opens that alarm.
#[test]
fn one_key_from_triage_shows_what_changed_before_the_top_finding() {
    use flightdeck::timeline::Kind;
    let mut h = Harness::new();
    assert_eq!(h.app.pane, Pane::Triage);
    let top = h
        .app
        .triage()
        .into_iter()
        .find(|f| f.service.is_some())
        .unwrap();
    let index = h.app.triage().iter().position(|f| *f == top).unwrap();
    h.app.selected[Pane::Triage.index()] = index;
    h.keys("c");
    assert_eq!(h.app.pane, Pane::Changes);
    assert_eq!(h.app.env().info.name, top.environment);
    assert_eq!(h.app.changes.service, top.service);
    let rows: Vec<_> = h.app.change_rows().into_iter().cloned().collect();
    assert!(!rows.is_empty(), "the service has changes in the last 2h");
    assert!(
        rows.iter().all(|e| e.service == top.service),
        "only that service's changes"
    );
    assert!(rows.windows(2).all(|w| w[0].at >= w[1].at), "newest first");

    // `c` again: the environment's timeline, every service's changes.
    h.keys("c");
    assert_eq!(h.app.changes.service, None);
    let all = h.app.change_rows().len();
    assert!(all >= rows.len());

    // `K` steps through the kinds, one at a time, and back to all.
    h.keys("K");
    assert_eq!(h.app.changes.kind, Some(Kind::Deployment));
    assert!(
        h.app
            .change_rows()
            .iter()
            .all(|e| e.kind == Kind::Deployment)
    );
    for _ in 1..Kind::ALL.len() {
        h.keys("K");
    }
    assert_eq!(h.app.changes.kind, Some(Kind::Write));
    h.keys("K");
    assert_eq!(h.app.changes.kind, None);

    // A kind with nothing in a short window says what `K` shows next: the
    // next kind, or every kind after the last.
    h.keys("<<<<<<<<");
    assert_eq!(h.app.changes.window(), chrono::Duration::minutes(30));
    let mono = common::theme("monochrome");
    let mut empty = 0;
    for _ in 0..Kind::ALL.len() {
        h.keys("K");
        let Some(kind) = h.app.changes.kind else {
            break;
        };
        if !h.app.change_rows().is_empty() {
            continue;
        }
        let after = Kind::ALL
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| Kind::ALL.get(i + 1))
            .map_or("every kind".to_string(), |k| format!("only {k}"));
        let screen = h.screen(120, 30, &mono);
        assert!(
            screen.contains(&format!(
                "no {kind} changes in the last 30m (> widens it, K shows {after})"
            )),
            "{screen}"
        );
        empty += 1;
    }
    assert!(empty > 0, "some kind has nothing in 30 minutes");
    while h.app.changes.kind.is_some() {
        h.keys("K");
    }
    h.keys(">>>>");

    // `>` widens the window; an alarm's change opens the alarm.
    assert_eq!(h.app.changes.window(), chrono::Duration::hours(24));
    while h.app.changes.kind != Some(Kind::Alarm) {
        h.keys("K");
    }
    let alarm = h.app.selected_change().unwrap().subject.clone().unwrap();
    h.key(KeyCode::Enter);
    assert_eq!(h.app.pane, Pane::Alarms);
    assert_eq!(h.app.selected_alarm().map(|a| a.name.clone()), Some(alarm));
}

/// The operator's own write shows in the timeline once, from the audit
/// log, beside the colleagues' writes CloudTrail recorded.
#[test]
fn the_operators_write_is_on_the_timeline_once() {
    use flightdeck::timeline::Kind;
    let mut h = Harness::new();
    h.go_to_env("muejam-staging");
    let service = h.app.selected_service().unwrap().reference();
    h.keys("S");
    h.clear_field();
    h.keys("2");
    h.key(KeyCode::Enter);
    // Staging asks for a plain confirmation (Cancel has the focus); then
    // the outcome, closed.
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Esc);
    assert_eq!(h.audit.records().len(), 2, "{:?}", h.app.dialog);
    h.keys("c");
    assert_eq!(h.app.changes.service.as_ref(), Some(&service));
    let mine: Vec<_> = h
        .app
        .change_rows()
        .into_iter()
        .filter(|e| matches!(e.kind, Kind::Operator | Kind::Write))
        .filter(|e| e.at >= h.app.now - chrono::Duration::minutes(1))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 1, "{mine:#?}");
    assert_eq!(mine[0].kind, Kind::Operator);
    assert!(
        mine[0].summary.starts_with("scale with flightdeck: done"),
        "{mine:#?}"
    );
}

fn ctrl(h: &mut Harness, c: char) -> Vec<Effect> {
    h.feed(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

/// Opens `service` of the current environment's services pane.
fn open_service(h: &mut Harness, service: &str) {
    h.keys("1/");
    h.keys(service);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    assert_eq!(h.app.detail_service().unwrap().name, service);
}

#[test]
fn a_task_is_picked_copied_and_stopped_from_the_service_detail() {
    let mut h = Harness::new();
    h.go_to_env("radiox-prod");
    open_service(&mut h, "processing-service");
    let tasks: Vec<(String, String)> = h
        .app
        .detail_tasks()
        .iter()
        .map(|t| (t.id.clone(), t.arn.clone()))
        .collect();
    assert!(tasks.len() >= 2, "{tasks:?}");
    assert_eq!(h.app.selected_task().unwrap().id, tasks[0].0);
    h.keys("]");
    assert_eq!(h.app.selected_task().unwrap().id, tasks[1].0);
    h.keys("[[");
    assert_eq!(h.app.selected_task().unwrap().id, tasks[0].0, "no further");
    h.keys("]");
    // y: the picked task's ARN, and the footer says so.
    let effects = h.feed(Msg::Key(KeyEvent::new(
        KeyCode::Char('y'),
        KeyModifiers::NONE,
    )));
    assert_eq!(effects, [Effect::Copy(tasks[1].1.clone())]);
    assert!(tasks[1].1.starts_with("arn:aws:ecs:us-east-1:"));
    assert!(
        tasks[1]
            .1
            .ends_with(&format!(":task/radiox-prod/{}", tasks[1].0))
    );
    assert!(
        h.app
            .notice
            .as_deref()
            .unwrap()
            .starts_with("copied task ARN: arn:aws:ecs:"),
        "{:?}",
        h.app.notice
    );
    // C-k: the plan of that very task's stop, confirmed by the service's
    // name in production.
    let effects = ctrl(&mut h, 'k');
    h.carry_out(effects);
    let Some(flightdeck::app::write::Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert!(c.needs_typing());
    assert_eq!(
        c.plan.steps,
        [flightdeck::ops::Step::StopTask {
            task: tasks[1].0.clone(),
            reason: "Stopped by flightdeck".into()
        }]
    );
    // C-y copies the AWS CLI commands of the plan, without typing into
    // the confirmation.
    let effects = ctrl(&mut h, 'y');
    let [Effect::Copy(commands)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let words = shell_words::split(commands).unwrap();
    assert_eq!(words[..3], ["aws", "ecs", "stop-task"], "{commands}");
    assert!(words.contains(&tasks[1].0), "{commands}");
    h.keys("processing-service");
    h.key(KeyCode::Enter);
    let p = h.provider("radiox-prod");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let now = rt
        .block_on(p.tasks(&flightdeck::model::ServiceRef::new(
            "radiox-prod",
            "processing-service",
        )))
        .unwrap();
    let stopped = now.iter().find(|t| t.id == tasks[1].0).unwrap();
    assert_eq!(
        stopped.stopped_reason.as_deref(),
        Some("Stopped by flightdeck")
    );
}

#[test]
fn y_copies_what_each_pane_selects_and_nothing_where_nothing_is() {
    let mut h = Harness::new();
    h.go_to_env("radiox-prod");
    let y = |h: &mut Harness| {
        h.feed(Msg::Key(KeyEvent::new(
            KeyCode::Char('y'),
            KeyModifiers::NONE,
        )))
    };
    let service = h.app.selected_service().unwrap().clone();
    assert_eq!(y(&mut h), [Effect::Copy(service.arn.clone())]);
    assert!(
        service.arn.contains(":service/radiox-prod/"),
        "{}",
        service.arn
    );
    h.keys("3");
    let alarm = h.app.selected_alarm().unwrap().name.clone();
    assert_eq!(y(&mut h), [Effect::Copy(alarm)]);
    h.keys("4");
    h.settle();
    let newest = h.app.log_lines().last().unwrap().message.clone();
    assert_eq!(
        y(&mut h),
        [Effect::Copy(flightdeck::model::text::sanitize(&newest))]
    );
    h.keys("5");
    assert_eq!(y(&mut h), []);
    assert_eq!(h.app.notice.as_deref(), Some("nothing here to copy"));
}

#[test]
fn remapped_keys_act_and_help_and_footer_show_them() {
    use flightdeck::app::keymap::{Action, Keymap};
    let mut h = Harness::new();
    let entries = [
        ("down".to_string(), vec!["C-n".to_string()]),
        ("help".to_string(), vec!["F1".to_string()]),
        ("pane-alarms".to_string(), vec!["m".to_string()]),
    ];
    h.app.keymap = std::sync::Arc::new(Keymap::with_overrides(&entries).unwrap());
    h.keys("1");
    let before = h.app.selected(Pane::Services);
    h.keys("j");
    assert_eq!(h.app.selected(Pane::Services), before, "j is free now");
    ctrl(&mut h, 'n');
    assert_eq!(h.app.selected(Pane::Services), before + 1);
    h.keys("3");
    assert_eq!(h.app.pane, Pane::Services, "3 is no pane key now");
    h.keys("m");
    assert_eq!(h.app.pane, Pane::Alarms);
    let theme = common::theme("dark");
    let screen = h.screen(100, 40, &theme);
    assert!(screen.contains(" F1 help"), "{screen}");
    h.key(KeyCode::F(1));
    assert!(matches!(h.app.overlay, Some(Overlay::Help { .. })));
    let help = h.screen(100, 76, &theme);
    assert!(help.contains("C-n k ↑"), "{help}");
    assert!(help.contains("0 1 2 m 4 5 6"), "{help}");
    assert_eq!(h.app.key(Action::Help), "F1");
}

/// Where `needle` is drawn on `screen` (as `Harness::screen` lines it up):
/// its column and row.
fn spot(screen: &str, needle: &str) -> (u16, u16) {
    for (row, line) in screen.lines().enumerate() {
        let line = line.trim_matches('"');
        if let Some(byte) = line.find(needle) {
            let column = line[..byte].chars().count();
            return (column as u16, row as u16);
        }
    }
    panic!("{needle} not on screen:\n{screen}");
}

fn mouse(h: &mut Harness, kind: crossterm::event::MouseEventKind, (column, row): (u16, u16)) {
    use flightdeck::app::mouse::resolve;
    let event = crossterm::event::MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    let input = resolve(&h.app, &event).expect("a mouse input");
    let effects = h.feed(Msg::Mouse(input));
    h.carry_out(effects);
}

fn click(h: &mut Harness, at: (u16, u16)) {
    use crossterm::event::{MouseButton, MouseEventKind};
    mouse(h, MouseEventKind::Down(MouseButton::Left), at);
}

#[test]
fn a_click_picks_a_tab_a_row_then_opens_it_and_the_wheel_scrolls() {
    use crossterm::event::MouseEventKind;
    let theme = common::theme("dark");
    let mut h = Harness::new();
    h.go_to_env("radiox-prod");
    let screen = h.screen(100, 30, &theme);
    click(&mut h, spot(&screen, "3 Alarms"));
    assert_eq!(h.app.pane, Pane::Alarms);
    let screen = h.screen(100, 30, &theme);
    click(&mut h, spot(&screen, "1 Services"));
    assert_eq!(h.app.pane, Pane::Services);
    // The second row: selected by one click, opened by a second.
    let screen = h.screen(100, 30, &theme);
    let second = h.app.service_rows()[1].name.clone();
    let at = spot(&screen, &second);
    click(&mut h, at);
    assert_eq!(h.app.selected(Pane::Services), 1);
    assert!(h.app.detail.is_none());
    h.screen(100, 30, &theme);
    click(&mut h, at);
    assert_eq!(h.app.detail_service().unwrap().name, second);
    // The wheel scrolls the detail as j would, three rows a notch.
    mouse(&mut h, MouseEventKind::ScrollDown, (10, 10));
    assert_eq!(h.app.detail_scroll, 3);
    mouse(&mut h, MouseEventKind::ScrollUp, (10, 10));
    assert_eq!(h.app.detail_scroll, 0);
    // A click on nothing does nothing.
    h.keys("3");
    h.screen(100, 30, &theme);
    click(&mut h, (99, 29));
    assert_eq!(h.app.pane, Pane::Alarms);
}

#[test]
fn a_plans_buttons_answer_clicks_and_a_click_beside_it_does_nothing() {
    let theme = common::theme("dark");
    let mut h = Harness::new();
    h.go_to_env("muejam-staging");
    h.keys("F");
    assert!(matches!(
        h.app.dialog,
        Some(flightdeck::app::write::Dialog::Confirm(_))
    ));
    let screen = h.screen(100, 30, &theme);
    click(&mut h, (0, 29));
    assert!(
        h.app.dialog.is_some(),
        "a click beside the dialog is no answer"
    );
    click(&mut h, spot(&screen, "▶ Cancel ◀"));
    assert!(h.app.dialog.is_none(), "cancelled");
    assert!(h.audit.records().is_empty());
    h.keys("F");
    let screen = h.screen(100, 30, &theme);
    click(&mut h, spot(&screen, "[ Confirm ]"));
    assert_eq!(h.audit.records().len(), 2, "before and after");
}

/// Issue 23, item 2: `R` acts on the service of every view that names
/// one: the top finding (in its own environment, from launch: one key to
/// the plan), an alarm of a service, a service's changes. Never "No
/// service".
#[test]
fn rollback_starts_from_every_view_that_names_one_service() {
    use flightdeck::app::write::Dialog;
    let planned = |h: &Harness, service: &str| match &h.app.dialog {
        Some(Dialog::Confirm(c)) => assert_eq!(c.plan.operation.service(), service),
        Some(Dialog::Message(m)) => {
            assert_ne!(m.title, "No service", "{m:?}");
            assert_eq!(m.title, "Roll back to which revision?", "{m:?}");
        }
        other => panic!("{other:?}"),
    };
    // From launch, on triage: R plans the top finding's service.
    let mut h = Harness::new();
    let top = h
        .app
        .triage()
        .into_iter()
        .find(|f| f.service.is_some())
        .unwrap();
    let at = h.app.triage().iter().position(|f| *f == top).unwrap();
    h.app.selected[Pane::Triage.index()] = at;
    h.keys("R");
    assert_eq!(h.app.env().info.name, top.environment);
    planned(&h, &top.service.as_ref().unwrap().name);
    assert_eq!(h.app.pane, Pane::Triage, "triage stays where it was");
    // Where revisions are offered, Enter plans the rollback to the newest
    // (QA: it landed on Close, and Tab was one more key).
    if matches!(h.app.dialog, Some(Dialog::Message(_))) {
        h.key(KeyCode::Enter);
        let Some(Dialog::Confirm(c)) = &h.app.dialog else {
            panic!("{:?}", h.app.dialog);
        };
        assert!(
            matches!(
                c.plan.operation,
                flightdeck::ops::Operation::Rollback { to: Some(_), .. }
            ),
            "{:?}",
            c.plan.operation
        );
    }

    // From an alarm of a service.
    let mut h = Harness::new();
    h.keys("4");
    let (at, service) = h
        .app
        .alarm_rows()
        .iter()
        .enumerate()
        .find_map(|(i, a)| {
            a.watched_service(h.app.env().services())
                .map(|s| (i, s.name.clone()))
        })
        .unwrap();
    h.app.selected[Pane::Alarms.index()] = at;
    h.keys("R");
    planned(&h, &service);

    // From a service's changes (`c` on the services pane).
    let mut h = Harness::new();
    h.keys("1");
    let service = h.app.selected_service().unwrap().name.clone();
    h.keys("c");
    assert_eq!(h.app.pane, Pane::Changes);
    h.keys("R");
    planned(&h, &service);
}

/// Issue 23, item 2: where nothing names the rollback's target, the
/// cockpit lists the earlier revisions and Tab, Enter plans the newest;
/// Up and Down on the button choose another, marked in the list.
#[test]
fn a_rollback_without_a_known_target_offers_the_newest_earlier_revision() {
    use flightdeck::app::write::Dialog;
    let mut h = Harness::new();
    let envs: Vec<String> = h.app.envs.iter().map(|e| e.info.name.clone()).collect();
    let mut offered = None;
    'envs: for env in envs {
        h.go_to_env(&env);
        let names: Vec<String> = h
            .app
            .service_rows()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        for (i, name) in names.iter().enumerate() {
            h.app.selected[Pane::Services.index()] = i;
            h.keys("R");
            if let Some(Dialog::Message(m)) = &h.app.dialog
                && let Some((_, op)) = &m.offer
            {
                assert!(
                    m.lines
                        .iter()
                        .any(|l| l == "Earlier revisions, newest first:"),
                    "{m:?}"
                );
                assert!(
                    !m.lines.iter().any(|l| l.contains("--to")),
                    "no flag the cockpit lacks: {m:?}"
                );
                offered = Some((name.clone(), op.clone()));
                break 'envs;
            }
            h.key(KeyCode::Esc);
        }
    }
    let (name, op) = offered.expect("a seed service without a known target");
    let revision = |op: &flightdeck::ops::Operation| match op {
        flightdeck::ops::Operation::Rollback { to, .. } => to.unwrap(),
        other => panic!("{other:?}"),
    };
    let snapshot = h.app.clone();
    // Enter lands on the choice: it plans (QA: Tab was needed first).
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("not planned: {:?}", h.app.dialog);
    };
    assert_eq!(c.plan.operation, op);
    assert_eq!(c.plan.operation.service(), name);
    // Again, choosing the one before the newest.
    h.app = snapshot;
    h.key(KeyCode::Down);
    let Some(Dialog::Message(m)) = &h.app.dialog else {
        panic!("{:?}", h.app.dialog);
    };
    let chosen = revision(&m.offer.as_ref().unwrap().1);
    assert!(chosen < revision(&op), "{chosen}");
    let marked: Vec<&String> = m.lines.iter().filter(|l| l.starts_with("▶ ")).collect();
    assert_eq!(marked.len(), 1);
    let listed = |m: &flightdeck::app::write::Message| {
        m.lines
            .iter()
            .filter(|l| l.trim_start_matches(['▶', ' ']).starts_with(':'))
            .count()
    };
    assert_eq!(
        listed(m),
        m.choices.len(),
        "every revision still listed: {m:?}"
    );
    assert!(
        marked[0].starts_with(&format!("▶ :{chosen} ")),
        "{marked:?}"
    );
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("not planned: {:?}", h.app.dialog);
    };
    assert_eq!(revision(&c.plan.operation), chosen);
}

/// Issue 23, item 3: a plan longer than the screen scrolls with the arrow
/// and page keys (letters are typed into a production confirmation) and
/// says which rows show; its last note is reached with End.
#[test]
fn a_long_plan_scrolls_and_says_where_it_is() {
    use flightdeck::app::write::Dialog;
    let mono = common::theme("monochrome");
    let mut h = Harness::new();
    h.keys("1");
    h.keys("S");
    h.clear_field();
    h.keys("7");
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("{:?}", h.app.dialog);
    };
    // The body ends with the same calls as AWS CLI commands.
    let lines = c.plan.lines();
    let last: String = c.plan.aws_cli.last().unwrap().chars().take(30).collect();
    let first: String = lines[0].chars().take(30).collect();
    let (w, rows) = (60, 16);
    let top = h.screen(w, rows, &mono);
    assert!(top.contains("rows 1-"), "{top}");
    assert!(top.contains(&first) && !top.contains(&last), "{top}");
    h.key(KeyCode::End);
    let end = h.screen(w, rows, &mono);
    assert!(end.contains(&last), "{end}");
    assert!(!end.contains("↓ more"), "{end}");
    h.key(KeyCode::Home);
    assert!(h.screen(w, rows, &mono).contains(&first));
    // Letters still type the name, they do not scroll.
    h.keys("j");
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("{:?}", h.app.dialog);
    };
    assert_eq!((c.typed.as_str(), c.scroll), ("j", 0));
}

/// Issue 23, item 3: at 80x24 the rollout watch (tasks, alarms, errors,
/// events) is longer than the screen: it scrolls with the list keys and
/// says which rows show.
#[test]
fn the_rollout_watch_scrolls_at_80x24() {
    let mono = common::theme("monochrome");
    let mut h = Harness::new();
    h.go_to_env("muejam-staging");
    h.keys("F");
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    h.advance(chrono::Duration::seconds(30));
    assert!(
        h.app.rollout.as_ref().is_some_and(|r| r.visible),
        "watching"
    );
    let top = h.screen(80, 24, &mono);
    assert!(top.contains("rows 1-") && top.contains("↓ more"), "{top}");
    h.keys("G");
    let bottom = h.screen(80, 24, &mono);
    assert!(
        !bottom.contains("↓ more") && !bottom.contains("rows 1-"),
        "{bottom}"
    );
    assert!(
        !bottom.contains("DEPLOYMENTS  service:"),
        "scrolled past the top: {bottom}"
    );
    assert!(
        h.app.rollout.as_ref().is_some_and(|r| r.visible),
        "G scrolled, it did not leave"
    );
    h.keys("g");
    assert_eq!(h.screen(80, 24, &mono), top);
}

/// Issue 23, also: a filter nothing matches says so, and how to clear it,
/// instead of an empty list without a word.
#[test]
fn a_filter_nothing_matches_says_so() {
    let mono = common::theme("monochrome");
    let mut h = Harness::new();
    h.keys("1/zzzz-no-such");
    h.key(KeyCode::Enter);
    assert!(h.app.service_rows().is_empty());
    let screen = h.screen(80, 24, &mono);
    assert!(
        screen.contains("nothing matches \"zzzz-no-such\" · Esc clears the filter"),
        "{screen}"
    );
    h.key(KeyCode::Esc);
    assert!(!h.screen(80, 24, &mono).contains("nothing matches"));
}

/// Issue 23, item 10: Enter on an alarm finding in the first second, its
/// environment's services not read yet, waits for them, says so, and goes
/// where the same key goes a second later: the service's error lines.
#[test]
fn enter_on_an_alarm_before_its_services_are_read_goes_there_once_they_are() {
    use flightdeck::engine::{DataEvent, Fetched, JobKey, JobKind, Payload};
    let mut h = Harness::new();
    // Where Enter goes once everything is read.
    let top = h
        .app
        .triage()
        .into_iter()
        .find(|f| f.kind == flightdeck::triage::Kind::Alarm && f.service.is_some())
        .unwrap();
    let env = top.environment.clone();
    let at = h.app.envs.iter().position(|e| e.info.name == env).unwrap();
    // The first second: the alarms are read, the services not yet.
    let services = std::mem::take(&mut h.app.envs[at].services);
    let clusters = std::mem::take(&mut h.app.envs[at].clusters);
    h.app.triage_inputs += 1;
    let early = h
        .app
        .triage()
        .into_iter()
        .position(|f| f.environment == env && f.subject == top.subject)
        .unwrap();
    assert!(h.app.triage()[early].service.is_none(), "not known yet");
    h.app.pane = Pane::Triage;
    h.app.selected[Pane::Triage.index()] = early;
    let effects = update(
        &mut h.app,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert!(effects.is_empty());
    assert_eq!(
        h.app.pane,
        Pane::Triage,
        "waits rather than open the alarms pane"
    );
    assert!(
        h.app.notice.as_deref().unwrap().contains("reading"),
        "{:?}",
        h.app.notice
    );
    // The services arrive: it goes where Enter goes now.
    let event = DataEvent {
        key: JobKey {
            env: env.clone(),
            kind: JobKind::Services,
        },
        data: Fetched {
            fetched_at: h.app.now,
            generation: services.generation + 1,
            run: None,
            result: Ok(Payload::Services {
                clusters: clusters.data.unwrap(),
                services: services.data.unwrap(),
            }),
        },
    };
    update(&mut h.app, Msg::Data(Box::new(event)));
    assert_eq!(h.app.pane, Pane::Logs);
    assert_eq!(h.app.log_source_service().as_ref(), top.service.as_ref());
}

/// Issue 23, item 10: Enter in the first second, on the services pane
/// before triage has every environment's answers, is held, says so, and
/// goes where the same key goes a second later (the top finding's
/// evidence), not into a service about to move away.
#[test]
fn enter_before_the_cockpit_chose_its_pane_goes_where_it_goes_a_second_later() {
    use flightdeck::engine::{DataEvent, Fetched, JobKey, JobKind, Payload};
    let h = Harness::new();
    // Each environment's services and alarms, as the first round answers.
    let mut answers = vec![];
    for e in &h.app.envs {
        answers.push(DataEvent {
            key: JobKey {
                env: e.info.name.clone(),
                kind: JobKind::Services,
            },
            data: Fetched {
                fetched_at: h.app.now,
                generation: 1,
                run: None,
                result: Ok(Payload::Services {
                    clusters: e.clusters.data.clone().unwrap(),
                    services: e.services.data.clone().unwrap(),
                }),
            },
        });
        answers.push(DataEvent {
            key: JobKey {
                env: e.info.name.clone(),
                kind: JobKind::Alarms,
            },
            data: Fetched {
                fetched_at: h.app.now,
                generation: 1,
                run: None,
                result: Ok(Payload::Alarms(e.alarms.data.clone().unwrap())),
            },
        });
    }
    let fresh = || {
        let infos = h.app.envs.iter().map(|e| e.info.clone()).collect();
        flightdeck::app::App::new(infos, h.app.now, false)
    };
    let enter = || Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    // A second later: everything read, then Enter.
    let mut later = fresh();
    for a in &answers {
        update(&mut later, Msg::Data(Box::new(a.clone())));
    }
    update(&mut later, enter());
    // The first second: Enter before anything is read.
    let mut early = fresh();
    assert_eq!(early.pane, Pane::Services);
    assert!(update(&mut early, enter()).is_empty());
    assert_eq!(early.pane, Pane::Services);
    assert!(
        early.notice.as_deref().unwrap().contains("waiting"),
        "{:?}",
        early.notice
    );
    for a in &answers {
        update(&mut early, Msg::Data(Box::new(a.clone())));
    }
    assert_ne!(later.pane, Pane::Services, "the demo opens on a finding");
    assert_eq!(early.pane, later.pane);
    assert_eq!(early.focus(), later.focus());
    // Any other key first cancels the held Enter.
    let mut cancelled = fresh();
    update(&mut cancelled, enter());
    update(
        &mut cancelled,
        Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
    );
    for a in &answers {
        update(&mut cancelled, Msg::Data(Box::new(a.clone())));
    }
    assert_eq!(cancelled.pane, Pane::Services);
}

/// Issue 23, item 2: Esc leaves the Changes pane like every other: back
/// to the service's detail `c` was pressed on (a filter is cleared first);
/// Changes chosen by its own key stays.
#[test]
fn esc_leaves_the_changes_pane_for_where_c_was_pressed() {
    let mut h = Harness::new();
    h.keys("1");
    h.key(KeyCode::Enter);
    let detail = h.app.detail.clone();
    assert!(detail.is_some());
    h.keys("c");
    assert_eq!(h.app.pane, Pane::Changes);
    h.keys("/zz");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Esc);
    assert_eq!(h.app.pane, Pane::Changes, "the filter goes first");
    h.key(KeyCode::Esc);
    assert_eq!(h.app.pane, Pane::Services);
    assert_eq!(h.app.detail, detail, "the detail is still open");
    // Chosen by its key, Changes has nowhere to go back to.
    let changes = Pane::ALL.iter().position(|p| *p == Pane::Changes).unwrap();
    h.keys(&changes.to_string());
    h.key(KeyCode::Esc);
    assert_eq!(h.app.pane, Pane::Changes);
}

/// Issue 23 (QA): an empty Changes list says why: a filter that matches
/// nothing is named (not the window), and while `>` widens the window the
/// pane says it is reading, in its summary and where the rows would be.
#[test]
fn the_changes_pane_says_why_it_is_empty_and_when_it_reads_further() {
    let mono = common::theme("monochrome");
    let mut h = Harness::new();
    let changes = Pane::ALL.iter().position(|p| *p == Pane::Changes).unwrap();
    h.keys(&changes.to_string());
    h.keys("/no-such-change");
    h.key(KeyCode::Enter);
    let screen = h.screen(80, 24, &mono);
    assert!(
        screen.contains("nothing matches \"no-such-change\""),
        "{screen}"
    );
    assert!(!screen.contains("no changes in the last"), "{screen}");
    h.key(KeyCode::Esc);
    // `>` without the runtime's answer yet: the data is the narrower read.
    let window = h.app.changes.window();
    update(
        &mut h.app,
        Msg::Key(KeyEvent::new(KeyCode::Char('>'), KeyModifiers::NONE)),
    );
    assert!(h.app.changes.window() > window);
    let screen = h.screen(80, 24, &mono);
    assert!(screen.contains("· reading "), "{screen}");
    // The count is of the narrower window read so far.
    let shown = format!(" in {} ·", flightdeck::model::duration::short(window));
    assert!(screen.contains(&shown), "{shown}: {screen}");
    h.settle();
    let screen = h.screen(80, 24, &mono);
    assert!(!screen.contains("· reading "), "{screen}");
}

/// Issue 25, instant start at any size: a large last known state is kept
/// with its first screen beside it, read before the first frame; drawn, a
/// first screen is not kept again until the whole state replaced it; a
/// state that became small leaves no first screen behind.
#[test]
fn a_large_state_is_kept_with_its_first_screen_read_first_and_never_kept_alone() {
    use flightdeck::last_known::{HEAD_SERVICES, load, load_heads, save};
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::new();
    let mut big = h.app.env().last_known().unwrap();
    let base = big.services.as_ref().unwrap().data[0].clone();
    big.services.as_mut().unwrap().data = (0..HEAD_SERVICES + 50)
        .rev()
        .map(|i| {
            let mut s = base.clone();
            s.name = format!("svc-{i:04}");
            s
        })
        .collect();
    let prod = h.app.env().info.clone();
    save(dir.path(), &[big.clone()]);
    let heads = load_heads(dir.path(), std::slice::from_ref(&prod));
    assert_eq!(heads.len(), 1);
    let head = &heads[0];
    assert_eq!(head.head_of, Some(HEAD_SERVICES + 50));
    let first = &head.services.as_ref().unwrap().data;
    assert_eq!(first.len(), HEAD_SERVICES);
    assert_eq!(first[0].name, "svc-0000", "the first by name");
    let mut env = flightdeck::app::EnvData::new(prod.clone());
    env.remember(head.clone());
    assert_eq!(env.last_known(), None, "a first screen is never kept");
    env.remember(load(dir.path(), std::slice::from_ref(&prod)).remove(0));
    assert_eq!(
        env.last_known().unwrap().services.unwrap().data.len(),
        HEAD_SERVICES + 50,
        "the whole state replaced it"
    );
    let mut small = big.clone();
    small.services.as_mut().unwrap().data.truncate(3);
    save(dir.path(), &[small]);
    assert!(load_heads(dir.path(), &[prod]).is_empty());
}
