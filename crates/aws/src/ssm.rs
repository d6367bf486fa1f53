//! SSM sessions: port forwarding to a task's container, or through it to a
//! remote host, with the port-forwarding documents (what e1s and
//! `aws ssm start-session` do), and ending a session.

use super::AwsProvider;
use super::errors::Action;
use aws_sdk_ssm::operation::RequestId;
use flightdeck_core::provider::{ExecSession, PortForward, ProviderError, Result, Written};

impl AwsProvider {
    pub(super) async fn open_port_forward(
        &self,
        forward: &PortForward,
    ) -> Result<Written<ExecSession>> {
        let mut request = self
            .clients
            .ssm()
            .start_session()
            .target(forward.target())
            .document_name(forward.document());
        for (name, value) in forward.parameters() {
            request = request.parameters(name, vec![value]);
        }
        let out = request
            .send()
            .await
            .map_err(self.fail(Action("ssm:StartSession")))?;
        let region = self.info.region.clone();
        let endpoint = self
            .endpoint_url
            .clone()
            .unwrap_or_else(|| format!("https://ssm.{region}.amazonaws.com"));
        let session = ExecSession {
            session_id: out
                .session_id()
                .ok_or_else(|| ProviderError::Invalid("StartSession answered no session".into()))?
                .to_string(),
            stream_url: out.stream_url().unwrap_or_default().to_string(),
            token_value: out.token_value().unwrap_or_default().to_string(),
            target: forward.target(),
            request: forward.request(),
            region,
            endpoint,
            profile: self.settings.profile.clone().unwrap_or_default(),
        };
        Ok(Written::new(session, out.request_id().map(str::to_string)))
    }

    pub(super) async fn end_session(&self, session_id: &str) -> Result<()> {
        self.clients
            .ssm()
            .terminate_session()
            .session_id(session_id)
            .send()
            .await
            .map_err(self.fail(Action("ssm:TerminateSession")))?;
        Ok(())
    }
}
