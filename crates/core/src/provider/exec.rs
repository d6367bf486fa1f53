//! An ECS Exec session as ExecuteCommand opens it, and how the
//! `session-manager-plugin` is handed it (the AWS CLI's own call).

/// What `session-manager-plugin` needs to attach the operator's terminal.
/// The token is a secret: it is never logged, recorded or shown.
#[derive(Clone, PartialEq)]
pub struct ExecSession {
    pub session_id: String,
    pub stream_url: String,
    pub token_value: String,
    /// `ecs:CLUSTER_TASKID_RUNTIMEID`, the session's target.
    pub target: String,
    pub region: String,
    /// The ECS endpoint the session was opened on.
    pub endpoint: String,
    /// The profile the credentials came from; empty for none.
    pub profile: String,
}

impl std::fmt::Debug for ExecSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecSession")
            .field("session_id", &self.session_id)
            .field("target", &self.target)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("token_value", &"<redacted>")
            .finish()
    }
}

impl ExecSession {
    /// The session target ECS Exec connects to.
    pub fn target(cluster: &str, task: &str, runtime_id: &str) -> String {
        format!("ecs:{cluster}_{task}_{runtime_id}")
    }

    /// The plugin's arguments, in the order `aws ecs execute-command` gives
    /// them: the session, the region, `StartSession`, the profile, the
    /// request (its target) and the endpoint.
    pub fn plugin_args(&self) -> Vec<String> {
        let session = serde_json::json!({
            "sessionId": self.session_id,
            "streamUrl": self.stream_url,
            "tokenValue": self.token_value,
        });
        let request = serde_json::json!({ "Target": self.target });
        vec![
            session.to_string(),
            self.region.clone(),
            "StartSession".into(),
            self.profile.clone(),
            request.to_string(),
            self.endpoint.clone(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugin_gets_the_cli_arguments_and_debug_hides_the_token() {
        let s = ExecSession {
            session_id: "ecs-execute-command-0a1b".into(),
            stream_url: "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/x".into(),
            token_value: "SECRET-TOKEN".into(),
            target: ExecSession::target("prod", "0f1e", "0f1e-1234"),
            region: "us-east-1".into(),
            endpoint: "https://ecs.us-east-1.amazonaws.com".into(),
            profile: "oncall".into(),
        };
        let args = s.plugin_args();
        assert_eq!(args[1..4], ["us-east-1", "StartSession", "oncall"]);
        assert_eq!(args[4], r#"{"Target":"ecs:prod_0f1e_0f1e-1234"}"#);
        let session: serde_json::Value = serde_json::from_str(&args[0]).unwrap();
        assert_eq!(session["tokenValue"], "SECRET-TOKEN");
        assert!(!format!("{s:?}").contains("SECRET"));
    }
}
