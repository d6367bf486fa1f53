//! Handing the operator's terminal to `session-manager-plugin`, the way
//! `aws ecs execute-command` does: the plugin found on the PATH first (its
//! absence is a clear refusal, not a crash), then run in the foreground
//! with the terminal's own input and output, Ctrl-C going to it, not to us.

use flightdeck_core::provider::ExecSession;
use std::path::PathBuf;

/// The plugin's name on the PATH.
pub const PLUGIN: &str = "session-manager-plugin";

/// Why ECS Exec cannot start without the plugin, and where to get it.
pub const NO_PLUGIN: &str = "session-manager-plugin is not installed (not on the PATH): ECS Exec needs it; see https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html";

/// The plugin on the PATH, if any.
pub fn find_plugin() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(PLUGIN))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs the plugin on `session` in the foreground and waits for it. The
/// terminal must be the operator's (raw mode off, main screen). SIGINT
/// is caught meanwhile so that a Ctrl-C the plugin does not take ends
/// the session, never flightdeck.
pub async fn attach(session: &ExecSession) -> std::io::Result<std::process::ExitStatus> {
    let plugin = find_plugin()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, NO_PLUGIN))?;
    let mut interrupts = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut child = tokio::process::Command::new(plugin)
        .args(session.plugin_args())
        .kill_on_drop(true)
        .spawn()?;
    loop {
        tokio::select! {
            status = child.wait() => return status,
            _ = interrupts.recv() => {}
        }
    }
}
