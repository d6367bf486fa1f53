//! Starts the built binary on `demo` in a real pseudo-terminal, switches
//! panes, quits, and checks that the terminal was restored.

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

#[test]
fn demo_runs_switches_panes_quits_and_restores_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_flightdeck"));
    cmd.arg("demo");
    cmd.env("HOME", home.path());
    cmd.env("XDG_CONFIG_HOME", home.path().join("config"));
    cmd.env("XDG_STATE_HOME", home.path().join("state"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let output = Arc::new(Mutex::new(Vec::new()));
    let mut reader = pty.master.try_clone_reader().unwrap();
    let sink = output.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let mut writer = pty.master.take_writer().unwrap();
    assert!(
        wait_for(&output, "backend-api", Duration::from_secs(60)),
        "the services pane never showed"
    );
    for (key, expect) in [
        ("3", "STATE"),
        ("4", "FOLLOW"),
        ("5", "MTD USD"),
        ("2", "scalable targets"),
        ("1", "DES/RUN/PEND"),
    ] {
        output.lock().unwrap().clear();
        writer.write_all(key.as_bytes()).unwrap();
        writer.flush().unwrap();
        assert!(
            wait_for(&output, expect, Duration::from_secs(20)),
            "pane {key} never showed {expect}"
        );
    }
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "flightdeck did not exit on q");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let text = String::from_utf8_lossy(&output.lock().unwrap()).to_string();
    // Left the alternate screen, showed the cursor again.
    assert!(text.contains("\x1b[?1049l"), "alternate screen not left");
    assert!(text.contains("\x1b[?25h"), "cursor not shown again");
}
