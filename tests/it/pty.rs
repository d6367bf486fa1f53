//! Starts the built binary on `demo` in a real pseudo-terminal, switches
//! panes, quits, and checks that the terminal was restored; and against
//! moto, with an endpoint that hangs.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

#[cfg(feature = "aws")]
use crate::common;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn wait_for(output: &Arc<Mutex<Vec<u8>>>, needle: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if String::from_utf8_lossy(&output.lock().unwrap()).contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Waits until the screen a terminal would show (every byte received,
/// through a terminal emulator) contains `needle`: ratatui redraws only the
/// cells that change, so the bytes alone may never hold it whole.
fn wait_for_screen(screen: &Arc<Mutex<vt100::Parser>>, needle: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if screen.lock().unwrap().screen().contents().contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// flightdeck running in a real pseudo-terminal of 80x24.
struct Session {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    output: Arc<Mutex<Vec<u8>>>,
    /// What the terminal shows.
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    /// Set, the reader lets go of the terminal after its next read.
    let_go: Arc<std::sync::atomic::AtomicBool>,
    _pty: portable_pty::PtyPair,
}

impl Session {
    fn start(home: &std::path::Path, args: &[&str]) -> Session {
        Session::start_with(home, args, &[])
    }

    fn start_with(home: &std::path::Path, args: &[&str], vars: &[(&str, &str)]) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_flightdeck"));
        cmd.args(args);
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_STATE_HOME", home.join("state"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
        let parser = screen.clone();
        let mut reader = pty.master.try_clone_reader().unwrap();
        let sink = output.clone();
        let let_go = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let letting_go = let_go.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || letting_go.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
                parser.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        Session {
            child,
            output,
            screen,
            writer,
            let_go,
            _pty: pty,
        }
    }

    fn send(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).unwrap();
        self.writer.flush().unwrap();
    }

    /// The demo on `env`'s services pane (the cockpit may open on triage),
    /// once it lists `service`.
    fn on_services(home: &std::path::Path, env: &str, service: &str) -> Session {
        let mut s = Session::start(home, &["demo", "--env", env]);
        assert!(
            wait_for(&s.output, "Triage", Duration::from_secs(60)),
            "the cockpit never showed"
        );
        s.send(b"1");
        assert!(
            wait_for_screen(&s.screen, "DES/RUN/PEND", Duration::from_secs(30)),
            "no services pane"
        );
        assert!(
            wait_for_screen(&s.screen, service, Duration::from_secs(30)),
            "{service} never listed"
        );
        s
    }

    /// Sends `keys` and waits until the screen shows `expect`, which it did
    /// not before.
    fn expect_after(&mut self, keys: &[u8], expect: &str) {
        let before = self.screen.lock().unwrap().screen().contents();
        assert!(!before.contains(expect), "{expect} already shown: {before}");
        self.send(keys);
        assert!(
            wait_for_screen(&self.screen, expect, Duration::from_secs(30)),
            "{keys:?} never showed {expect}: {}",
            self.screen.lock().unwrap().screen().contents()
        );
    }

    /// Quits with q and returns everything the terminal received meanwhile.
    fn quit(mut self) -> String {
        self.send(b"q");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "flightdeck did not exit on q");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "exit status {status:?}");
        std::thread::sleep(Duration::from_millis(200));
        String::from_utf8_lossy(&self.output.lock().unwrap()).to_string()
    }
}

#[test]
fn demo_runs_switches_panes_quits_and_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path(), &["demo"]);
    assert!(
        wait_for(&s.output, "Triage", Duration::from_secs(60)),
        "the cockpit never showed"
    );
    // It opens on triage or the services, by what the simulation holds
    // at this hour: start from the alarms.
    for (key, expect) in [
        ("3", "STATE"),
        ("1", "DES/RUN/PEND"),
        ("4", "FOLLOW"),
        ("5", "MTD USD"),
        ("2", "scalable targets"),
        ("6", "Changes of all of"),
        ("0", "checked "),
    ] {
        s.expect_after(key.as_bytes(), expect);
    }
    let started = String::from_utf8_lossy(&s.output.lock().unwrap()).to_string();
    assert!(started.contains("\x1b[?1000h"), "the mouse was not taken");
    s.output.lock().unwrap().clear();
    let text = s.quit();
    // Left the alternate screen, showed the cursor again, gave the mouse back.
    assert!(text.contains("\x1b[?1049l"), "alternate screen not left");
    assert!(text.contains("\x1b[?25h"), "cursor not shown again");
    assert!(text.contains("\x1b[?1000l"), "the mouse not given back");
}

/// Issue 23, item 16: a recording keeps the terminal's size from the
/// first frame, so its replay and its export draw at the recorded size
/// (80x24 here), not a default one.
#[test]
fn a_recording_keeps_the_terminals_size_from_its_first_frame() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("session.jsonl");
    let s = Session::start(home.path(), &["demo", "--record", file.to_str().unwrap()]);
    assert!(
        wait_for(&s.output, "Triage", Duration::from_secs(60)),
        "the cockpit never showed"
    );
    s.quit();
    let text = std::fs::read_to_string(&file).unwrap();
    let first_resize = text
        .lines()
        .find(|l| l.contains("\"resize\""))
        .unwrap_or_default();
    assert!(
        first_resize.contains("\"width\":80") && first_resize.contains("\"height\":24"),
        "{first_resize}"
    );
}

/// A terminal that goes away (a dropped SSH connection, a killed tmux
/// session) ends the cockpit quietly: no panic in the log file for a
/// terminal that cannot be restored or a stderr that is gone.
#[test]
fn a_terminal_that_goes_away_ends_the_cockpit_without_a_panic() {
    let home = tempfile::tempdir().unwrap();
    let s = Session::start(home.path(), &["demo"]);
    assert!(
        wait_for(&s.output, "Triage", Duration::from_secs(60)),
        "the cockpit never showed"
    );
    // Every handle on the terminal's side closed: the writer, the pair,
    // and the reader's (after its next read: the clock redraws each second).
    let Session {
        mut child,
        writer,
        let_go,
        _pty,
        ..
    } = s;
    let_go.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(writer);
    drop(_pty);
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "flightdeck outlived its terminal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(home.path().join("state/flightdeck/flightdeck.log"))
        .unwrap_or_default();
    assert!(!log.contains("panic"), "{log}");
}

#[test]
fn with_mouse_off_in_the_config_the_mouse_stays_the_terminals() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/flightdeck");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.toml"), "mouse = false\n").unwrap();
    let s = Session::start(home.path(), &["demo"]);
    assert!(
        wait_for(&s.output, "Triage", Duration::from_secs(60)),
        "the cockpit never showed"
    );
    let text = s.quit();
    assert!(!text.contains("\x1b[?1000h"), "the mouse was taken");
}

#[test]
fn a_write_in_the_terminal_is_planned_confirmed_watched_and_audited() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::on_services(home.path(), "muejam-staging", "backend");
    // A new deployment of the same revision: the plan comes back.
    s.expect_after(b"F", "forceNewDeployment");
    // Tab to Confirm, Enter: executed off the UI thread, then watched.
    s.expect_after(b"\t\r", "W IN PROGRESS");
    s.quit();
    let audit =
        std::fs::read_to_string(home.path().join("state/flightdeck/demo-audit.jsonl")).unwrap();
    let phases: Vec<&str> = audit
        .lines()
        .map(|l| {
            if l.contains("\"phase\":\"before\"") {
                "before"
            } else {
                "after"
            }
        })
        .collect();
    assert_eq!(phases, ["before", "after"], "{audit}");
    assert!(audit.contains("\"result\":\"ok\""), "{audit}");
}

#[test]
fn a_crash_restores_the_terminal_and_leaves_its_report_in_the_log_file() {
    let home = tempfile::tempdir().unwrap();
    let s = Session::start_with(home.path(), &["demo"], &[("FLIGHTDECK_TEST_CRASH", "1")]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut child = s.child;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "flightdeck did not end after its crash"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(200));
    let text = String::from_utf8_lossy(&s.output.lock().unwrap()).to_string();
    assert!(!status.success(), "a crash is not a success");
    // The screen it entered was left and the cursor shown again; the
    // report follows on the restored terminal.
    let entered = text
        .find("\x1b[?1049h")
        .expect("the alternate screen was entered");
    let left = text
        .rfind("\x1b[?1049l")
        .expect("the alternate screen was left");
    assert!(left > entered);
    assert!(
        text[entered..].contains("\x1b[?25h"),
        "cursor not shown again"
    );
    assert!(text[left..].contains("crashed; the report is in"), "{text}");
    let log = std::fs::read_to_string(home.path().join("state/flightdeck/flightdeck.log")).unwrap();
    assert!(
        log.contains("a crash on purpose after the first frame"),
        "{log}"
    );
    assert!(log.contains("panic in thread main"), "{log}");
}

/// A drill in a real terminal: the binary plays the scenario on its own
/// clock, whose keys reach the runtime (pause, speed). At 80 columns the
/// header keeps the drill's state, speed and clock (`DRILL ▶ 1x 0:59`).
#[test]
fn a_drill_runs_on_its_own_clock_in_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(home.path(), &["demo", "--scenario", "bad-deploy"]);
    assert!(
        wait_for_screen(&s.screen, "DRILL ▶ 1x", Duration::from_secs(60)),
        "no drill clock: {}",
        s.screen.lock().unwrap().screen().contents()
    );
    s.expect_after(b"+", "DRILL ▶ 2x");
    s.expect_after(b"p", "DRILL || 2x");
    // Paused in the runtime too: the drill's time stands still.
    let shown = |s: &Session| {
        let screen = s.screen.lock().unwrap().screen().contents();
        screen
            .split("|| 2x ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string)
    };
    let before = shown(&s);
    assert!(
        before.is_some(),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(shown(&s), before);
    s.quit();
}

/// A hung endpoint never holds up the cockpit: with every DescribeServices
/// held for a minute at the test proxy, the panes switch at the keys, the
/// header's clock goes on and the services pane says it is still loading,
/// all before the held call could have answered; `q` quits at once.
#[cfg(feature = "aws")]
#[test]
fn a_hung_endpoint_never_holds_up_the_keys_or_the_clock() {
    let Some(f) = common::cli::fixture("pty_hung_endpoint", "muejam-staging") else {
        return;
    };
    let held = Duration::from_secs(60);
    f.moto.delay("DescribeServices", held.as_millis() as u64);
    let home = f.home.path();
    let env = common::cli::aws_env(&f);
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let started = Instant::now();
    let mut s = Session::start_with(home, &[], &vars);
    assert!(
        wait_for_screen(&s.screen, "loading services", Duration::from_secs(20)),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    // The alarms (not held) arrive and show; back on the services, still
    // loading.
    s.expect_after(b"3", "STATE");
    s.expect_after(b"1", "loading services");
    // The clock in the header goes on meanwhile: two different seconds.
    let clock = |s: &Session| {
        let screen = s.screen.lock().unwrap().screen().contents();
        screen.lines().next().unwrap_or_default().to_string()
    };
    let first = clock(&s);
    std::thread::sleep(Duration::from_millis(2500));
    assert_ne!(
        clock(&s),
        first,
        "the header did not move while a call hung"
    );
    // The debug overlay counts the held call, and the fetch in flight.
    s.expect_after(b"!", "ecs:DescribeServices");
    let screen = s.screen.lock().unwrap().screen().contents();
    assert!(screen.contains("ecs:ListServices"), "{screen}");
    assert!(!screen.contains("fetches in flight: 0"), "{screen}");
    s.send(b"x");
    let closed = Instant::now() + Duration::from_secs(10);
    while s
        .screen
        .lock()
        .unwrap()
        .screen()
        .contents()
        .contains("debug:")
    {
        assert!(Instant::now() < closed, "x did not close the overlay");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        started.elapsed() < held,
        "all of this happened while DescribeServices was held"
    );
    let quit = Instant::now();
    s.quit();
    assert!(
        quit.elapsed() < Duration::from_secs(10),
        "q waited for the hung call"
    );
}

/// Instant start: a run keeps each environment's last known state, and the
/// next one draws its services at once, dimmed and marked "cached … ago",
/// even while every DescribeServices is held for a minute; the file is
/// the operator's alone (0600) and holds no task definition.
#[cfg(feature = "aws")]
#[test]
fn the_next_start_draws_the_last_known_services_before_any_answer() {
    use std::os::unix::fs::PermissionsExt;
    let Some(f) = common::cli::fixture("pty_last_known", "muejam-staging") else {
        return;
    };
    let home = f.home.path();
    let env = common::cli::aws_env(&f);
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let service = f.env.services[0].name.clone();
    // The first run reads the services and keeps them when it quits.
    let mut s = Session::start_with(home, &[], &vars);
    s.send(b"1");
    assert!(
        wait_for_screen(&s.screen, &service, Duration::from_secs(30)),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    s.quit();
    let cache = home.join("state/flightdeck/cache");
    let kept: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("state-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let mode = std::fs::metadata(&kept[0]).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&kept[0]).unwrap();
    assert!(text.contains(&service), "{text}");
    assert!(
        !text.contains("\"environment\""),
        "no task definition kept: {text}"
    );
    // The next run: the services held a minute, yet they show at once.
    let held = Duration::from_secs(60);
    f.moto.delay("DescribeServices", held.as_millis() as u64);
    let started = Instant::now();
    let s = Session::start_with(home, &[], &vars);
    assert!(
        wait_for_screen(&s.screen, &service, Duration::from_secs(20)),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    let screen = s.screen.lock().unwrap().screen().contents();
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("cached"), "{screen}");
    assert!(started.elapsed() < held);
    s.quit();
}

#[test]
fn y_puts_the_selection_on_the_clipboard_with_osc_52() {
    use base64::Engine;
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::on_services(home.path(), "muejam-staging", "backend");
    // The detail (its TASKS may be below the fold at 80x24, under the
    // changes): `y` copies the selected task once its tasks are read.
    s.expect_after(b"\r", "Esc back · Enter logs");
    s.output.lock().unwrap().clear();
    let copied = (0..30).any(|_| {
        s.send(b"y");
        wait_for_screen(&s.screen, "copied task ARN", Duration::from_secs(1))
    });
    assert!(
        copied,
        "y never copied a task: {}",
        s.screen.lock().unwrap().screen().contents()
    );
    let bytes = s.output.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&bytes);
    // The last one: a `y` before the tasks were read copied something else.
    let start = text.rfind("\x1b]52;c;").expect("no OSC 52 sequence") + 7;
    let end = start + text[start..].find('\x07').expect("OSC 52 not terminated");
    let copied = base64::engine::general_purpose::STANDARD
        .decode(&text[start..end])
        .unwrap();
    let copied = String::from_utf8(copied).unwrap();
    assert!(
        copied.starts_with("arn:aws:ecs:us-east-1:678901234567:task/muejam-staging/"),
        "{copied}"
    );
    assert!(
        s.screen
            .lock()
            .unwrap()
            .screen()
            .contents()
            .contains(&copied[..40]),
        "the footer names what was copied"
    );
    s.quit();
}

/// The cockpit against moto (muejam-staging) on `backend`'s detail, one
/// task of it started with ECS Exec enabled, a fake `session-manager-plugin`
/// first on the PATH; `None` without moto.
#[cfg(feature = "aws")]
fn on_exec_enabled_task(
    test: &str,
    vars: &[(&'static str, &str)],
) -> Option<(common::cli::Fixture, String, Session)> {
    let f = common::cli::fixture(test, "muejam-staging")?;
    let (service, family) = common::cli::service_family(&f, "backend");
    let task = common::cli::run_service_tasks(&f, &service, &family, 1, true).remove(0);
    let home = f.home.path();
    let mut env = common::cli::aws_env(&f);
    env.push(("PATH", common::cli::fake_plugin(home)));
    env.extend(vars.iter().map(|(k, v)| (*k, v.to_string())));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut s = Session::start_with(home, &[], &vars);
    assert!(
        wait_for_screen(&s.screen, "backend", Duration::from_secs(30)),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    s.send(b"1/backend\r");
    s.expect_after(b"\r", "TASKS");
    Some((f, task, s))
}

/// `x` hands the terminal to session-manager-plugin (a fake on the PATH,
/// against moto with the test proxy answering ExecuteCommand) and takes it
/// back: what is typed in the session reaches the plugin and not the
/// cockpit, and the cockpit's screen comes back with the session's end.
#[cfg(feature = "aws")]
#[test]
fn x_hands_the_terminal_to_the_session_and_takes_it_back() {
    let Some((f, task, mut s)) = on_exec_enabled_task("pty_exec", &[]) else {
        return;
    };
    let home = f.home.path();
    assert!(
        wait_for_screen(&s.screen, &task[..7], Duration::from_secs(30)),
        "the task never showed: {}",
        s.screen.lock().unwrap().screen().contents()
    );
    s.output.lock().unwrap().clear();
    s.send(b"x");
    assert!(
        wait_for(
            &s.output,
            "fake plugin: session to",
            Duration::from_secs(30)
        ),
        "the plugin never ran: {}",
        String::from_utf8_lossy(&s.output.lock().unwrap())
    );
    let handed = String::from_utf8_lossy(&s.output.lock().unwrap()).to_string();
    assert!(
        handed.contains("\x1b[?1049l"),
        "the cockpit's screen was not left"
    );
    // Typed in the session: the plugin reads it; the cockpit must not (e
    // would open the environments, s... nothing, q would quit).
    s.send(b"echo seq\r");
    assert!(
        wait_for_screen(&s.screen, "ended", Duration::from_secs(30)),
        "the cockpit did not come back: {}",
        s.screen.lock().unwrap().screen().contents()
    );
    // The whole frame again, not only what changed.
    assert!(
        wait_for_screen(&s.screen, "TASKS", Duration::from_secs(10)),
        "not back on the detail: {}",
        s.screen.lock().unwrap().screen().contents()
    );
    let screen = s.screen.lock().unwrap().screen().contents();
    assert!(
        !screen.contains("Environments"),
        "a key reached the cockpit: {screen}"
    );
    let typed = std::fs::read_to_string(home.join("plugin-typed")).unwrap();
    assert_eq!(typed.trim(), "echo seq");
    let args = std::fs::read_to_string(home.join("plugin-args")).unwrap();
    assert!(
        args.contains(&format!("{{\"Target\":\"ecs:{}_{task}_", f.env.cluster)),
        "{args}"
    );
    s.quit();
}

/// `P` in a service's detail: a form with the container's port, then the
/// forward listed while its plugin runs (a fake on the PATH, against moto),
/// and on quitting, the plugin killed and the session terminated.
#[cfg(feature = "aws")]
#[test]
fn p_forwards_a_port_lists_it_and_closes_it_on_quit() {
    let Some((f, _task, mut s)) = on_exec_enabled_task("pty_forward", &[("FAKE_PLUGIN_STAY", "1")])
    else {
        return;
    };
    let home = f.home.path();
    s.expect_after(b"P", "Port forward");
    // Local port 25432, through the task to a database host, port 5432.
    s.send(&[0x7f; 8]);
    s.send(b"25432\tdb.internal.example\t");
    s.send(&[0x7f; 8]);
    s.send(b"5432\r");
    assert!(
        wait_for_screen(&s.screen, "fwd 1", Duration::from_secs(30)),
        "the forward was not listed: {}",
        s.screen.lock().unwrap().screen().contents()
    );
    let screen = s.screen.lock().unwrap().screen().contents();
    assert!(
        screen.contains("127.0.0.1:25432 -> db.internal.example:5432"),
        "{screen}"
    );
    let pid = std::fs::read_to_string(home.join("plugin-pid")).unwrap();
    let pid = pid.trim();
    let alive = |pid: &str| std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(pid), "the plugin is not running");
    s.quit();
    let gone = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < gone, "the plugin outlived the cockpit");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(f.moto.calls().get("TerminateSession"), Some(&1));
}

/// `[team] recordings` against moto's S3: a recording a crash left (a
/// real session's, untouched for long) goes up at the start, the session's
/// own when the cockpit quits, both in the operator's folder; the team
/// lists them and replays one straight from the bucket.
#[cfg(feature = "aws")]
#[test]
fn recordings_go_to_the_teams_bucket_and_replay_from_it() {
    let Some(f) = common::cli::fixture("pty_shared_recordings", "muejam-staging") else {
        return;
    };
    let home = f.home.path();
    let env = common::cli::aws_env(&f);
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Bucket names are one namespace for all of moto, as for all of S3.
    let bucket = format!("team-recordings-{}", f.moto.account);
    f.rt.block_on(async {
        let config = f.moto.sdk_config(&f.env.region).await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap()
    });
    let file = home.join("config/flightdeck/config.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!(
        "\n[team]\nenvironment = \"{}\"\noperator = \"alice@laptop\"\nrecordings = \"s3://{bucket}/flightdeck/\"\n",
        f.env.name
    ));
    std::fs::write(&file, text).unwrap();
    // What a crash left: a real session's recording, untouched for an hour.
    let dir = home.join("state/flightdeck/recordings");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = std::fs::read_to_string("tests/fixtures/recording-v1.jsonl").unwrap();
    let (header, rest) = fixture.split_once('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(header).unwrap();
    header["demo"] = serde_json::Value::Bool(false);
    let leftover = dir.join("session-20261129T224444.895Z-4242.jsonl");
    std::fs::write(&leftover, format!("{header}\n{rest}")).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();

    let mut s = Session::start_with(home, &[], &vars);
    s.send(b"1");
    assert!(
        wait_for_screen(
            &s.screen,
            "1 earlier recording uploaded to s3://",
            Duration::from_secs(30)
        ),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    let out = s.quit();
    assert!(
        out.contains(&format!(
            "the recording is in s3://{bucket}/flightdeck/alice@laptop/session-"
        )),
        "{out}"
    );

    let listed = common::cli::json(&common::cli::flightdeck_with(
        home,
        &["recordings", "--json"],
        Some(&f.moto),
        &vars,
    ));
    let urls: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), 2, "{listed}");
    let uploaded =
        format!("s3://{bucket}/flightdeck/alice@laptop/session-20261129T224444.895Z-4242.jsonl");
    assert_eq!(urls[1], uploaded, "the older last: {listed}");
    let noted = std::fs::read_to_string(dir.join(".uploaded")).unwrap();
    assert_eq!(noted.lines().count(), 2, "{noted}");

    // Replayed from the bucket, read in ranges: the same timeline as the
    // file's, every entry read.
    let timeline = |what: &str| {
        let out = common::cli::flightdeck_with(
            home,
            &["replay", what, "--timeline"],
            Some(&f.moto),
            &vars,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let shared = timeline(&uploaded);
    let entries = fixture.lines().count() - 1;
    assert!(
        shared.starts_with(&format!(
            "recorded 2026-11-29 22:44:44Z · {entries} entries"
        )),
        "{shared}"
    );
    assert_eq!(shared, timeline(leftover.to_str().unwrap()));
}

/// Issue 25, presence: two operators' cockpits on one environment, each
/// on its own machine (its own home), with the team's lease table in
/// moto's DynamoDB. The runtime beats at its start; the other's header
/// names who else is in.
#[test]
fn each_cockpit_shows_who_else_has_the_environment_open() {
    let Some(f) = common::cli::fixture("pty_presence", "muejam-staging") else {
        return;
    };
    let alice = f.home.path();
    let bob = tempfile::tempdir().unwrap();
    common::cli::write_profile(bob.path(), &f.moto, &f.env.name, &f.env.region);
    for (home, who) in [(alice, "alice@laptop"), (bob.path(), "bob@desk")] {
        let file = home.join("config/flightdeck/config.toml");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str(&format!(
            "\n[team]\nlease_table = \"flightdeck-team\"\nenvironment = \"{}\"\noperator = \"{who}\"\n",
            f.env.name
        ));
        std::fs::write(&file, text).unwrap();
    }
    let init = common::cli::flightdeck(alice, &["team", "init"], Some(&f.moto));
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let (alice_vars, bob_vars) = (
        common::cli::aws_env_at(alice, &f.moto),
        common::cli::aws_env_at(bob.path(), &f.moto),
    );
    let a: Vec<(&str, &str)> = alice_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let b: Vec<(&str, &str)> = bob_vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = Session::start_with(alice, &[], &a);
    assert!(
        wait_for_screen(&first.screen, "muejam-staging", Duration::from_secs(30)),
        "{}",
        first.screen.lock().unwrap().screen().contents()
    );
    let second = Session::start_with(bob.path(), &[], &b);
    // Bob's first beat reads who else is in: alice, who beat at her start.
    let log = |home: &std::path::Path| {
        std::fs::read_to_string(home.join("state/flightdeck/flightdeck.log")).unwrap_or_default()
    };
    assert!(
        wait_for_screen(&second.screen, "alice@laptop", Duration::from_secs(30)),
        "{}\nalice's log:\n{}\nbob's log:\n{}",
        second.screen.lock().unwrap().screen().contents(),
        log(alice),
        log(bob.path())
    );
    // Alice learns of bob at her next beat: a minute apart, or 5 s after
    // she moves to another environment or service; she opens a service.
    let mut first = first;
    first.send(b"1");
    assert!(wait_for_screen(
        &first.screen,
        "backend",
        Duration::from_secs(30)
    ));
    first.send(b"\r");
    assert!(
        wait_for_screen(&first.screen, "bob@desk", Duration::from_secs(30)),
        "{}",
        first.screen.lock().unwrap().screen().contents()
    );
    second.quit();
    first.quit();
}

/// Issue 26: quitting while a writing runbook action runs stops it as
/// `x x` does (SIGTERM to its group) and writes its record after before
/// the cockpit goes: no action outlives the cockpit unrecorded.
#[test]
fn quitting_stops_a_running_action_and_records_its_end() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/flightdeck");
    std::fs::create_dir_all(&dir).unwrap();
    let marker = home.path().join("stopped");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"[[action]]
name = "long-job"
key = "Z"
scope = "environment"
command = ["sh", "-c", 'trap "echo stopped > $0; exit 0" TERM; echo started; while :; do sleep 0.1; done', "{}"]
writes = true
"#,
            marker.display()
        ),
    )
    .unwrap();
    let mut s = Session::start(home.path(), &["demo", "--env", "radiox-prod"]);
    assert!(wait_for_screen(
        &s.screen,
        "radiox-prod",
        Duration::from_secs(30)
    ));
    s.send(b"Z");
    assert!(
        wait_for_screen(
            &s.screen,
            "type the environment name",
            Duration::from_secs(10)
        ),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    s.send(b"radiox-prod\r");
    assert!(
        wait_for_screen(&s.screen, "started", Duration::from_secs(10)),
        "{}",
        s.screen.lock().unwrap().screen().contents()
    );
    s.send(b"\x1b");
    assert!(wait_for_screen(&s.screen, "run 1", Duration::from_secs(5)));
    s.quit();
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap_or_default().trim(),
        "stopped",
        "the action was asked to stop"
    );
    let audit =
        std::fs::read_to_string(home.path().join("state/flightdeck/demo-audit.jsonl")).unwrap();
    let phases: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("action long-job"))
        .map(|l| {
            if l.contains("\"before\"") {
                "before"
            } else {
                "after"
            }
        })
        .collect();
    assert_eq!(phases, ["before", "after"], "{audit}");
}
