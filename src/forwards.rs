//! The cockpit's open port forwards: a `session-manager-plugin` each,
//! running in the background on its SSM session. Listed while open (the
//! cockpit hears of every change), closed on request and when the cockpit
//! quits: the plugin killed, the session terminated.

use flightdeck_core::provider::{ExecSession, Provider};
use std::sync::Arc;

struct Open {
    env: String,
    session_id: String,
    described: String,
    child: tokio::process::Child,
}

#[derive(Default)]
pub struct Forwards(Vec<Open>);

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
        self.0.push(Open {
            env,
            session_id: session.session_id.clone(),
            described,
            child,
        });
        Ok(())
    }

    /// Forgets the forwards whose plugin ended; whether any did.
    pub fn reap(&mut self) -> bool {
        let before = self.0.len();
        self.0
            .retain_mut(|f| matches!(f.child.try_wait(), Ok(None)));
        self.0.len() != before
    }

    /// What the cockpit lists.
    pub fn list(&self) -> Vec<String> {
        self.0.iter().map(|f| f.described.clone()).collect()
    }

    /// Closes every forward: the plugins killed, their sessions terminated
    /// (each at most a few seconds; a failure is only logged).
    pub async fn close_all(&mut self, providers: &[Arc<dyn Provider>]) {
        for mut f in self.0.drain(..) {
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
