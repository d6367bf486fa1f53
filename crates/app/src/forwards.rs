//! The cockpit's open port forwards: a `session-manager-plugin` each,
//! running in the background on its SSM session. Listed while open (the
//! cockpit hears of every change), closed on request and when the cockpit
//! quits: the plugin killed, the session terminated.

use flightdeck_core::provider::{ExecSession, Provider, Writes};
use std::sync::Arc;

struct Open {
    env: String,
    session_id: String,
    described: String,
    child: tokio::process::Child,
}

/// The open forwards, and whether their list changed since it was last
/// taken (so the cockpit hears of a change, not of every message).
#[derive(Default)]
pub struct Forwards {
    open: Vec<Open>,
    changed: bool,
}

impl Forwards {
    /// Starts the plugin on `session`, its output discarded (it only says
    /// it is waiting for connections).
    pub fn open(
        &mut self,
        env: String,
        session: &ExecSession,
        described: String,
    ) -> std::io::Result<()> {
        let plugin = crate::attach::find_plugin().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, crate::attach::NO_PLUGIN)
        })?;
        let child = tokio::process::Command::new(plugin)
            .args(session.plugin_args())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        self.changed = true;
        self.open.push(Open {
            env,
            session_id: session.session_id.clone(),
            described,
            child,
        });
        Ok(())
    }

    /// Forgets the forwards whose plugin ended.
    pub fn reap(&mut self) {
        let before = self.open.len();
        self.open
            .retain_mut(|f| matches!(f.child.try_wait(), Ok(None)));
        self.changed |= self.open.len() != before;
    }

    /// What the cockpit lists, when it changed since last taken.
    pub fn take_changed(&mut self) -> Option<Vec<String>> {
        std::mem::take(&mut self.changed)
            .then(|| self.open.iter().map(|f| f.described.clone()).collect())
    }

    /// Closes every forward: the plugins killed, their sessions terminated
    /// (each at most a few seconds; a failure is only logged).
    pub async fn close_all(&mut self, providers: &[Arc<Provider>]) {
        self.changed |= !self.open.is_empty();
        for mut f in self.open.drain(..) {
            let _ = f.child.kill().await;
            let Some(p) = providers.iter().find(|p| p.environment().name == f.env) else {
                continue;
            };
            let ended = tokio::time::timeout(
                std::time::Duration::from_secs(3),
                p.terminate_session(&f.session_id),
            )
            .await;
            if !matches!(ended, Ok(Ok(()))) {
                tracing::warn!(
                    "port forward session {} not terminated: {ended:?}",
                    f.session_id
                );
            }
        }
    }
}
