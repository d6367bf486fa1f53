//! A session-manager session as ECS Exec's ExecuteCommand or SSM's
//! StartSession (port forwarding) opens it, and how `session-manager-plugin`
//! is handed it (the AWS CLI's own call).

/// What `session-manager-plugin` needs to attach the operator's terminal.
/// The token is a secret: it is never logged, recorded or shown.
#[derive(Clone, PartialEq)]
pub struct ExecSession {
    pub session_id: String,
    pub stream_url: String,
    pub token_value: String,
    /// `ecs:CLUSTER_TASKID_RUNTIMEID`, the session's target.
    pub target: String,
    /// The StartSession request the plugin is given, as JSON: the target,
    /// and for port forwarding the document and its parameters.
    pub request: String,
    pub region: String,
    /// The endpoint the session was opened on (ECS's, or SSM's).
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
    /// The session target of a task's container.
    pub fn target(cluster: &str, task: &str, runtime_id: &str) -> String {
        format!("ecs:{cluster}_{task}_{runtime_id}")
    }

    /// The request of an ECS Exec session: its target alone.
    pub fn exec_request(target: &str) -> String {
        serde_json::json!({ "Target": target }).to_string()
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
        vec![
            session.to_string(),
            self.region.clone(),
            "StartSession".into(),
            self.profile.clone(),
            self.request.clone(),
            self.endpoint.clone(),
        ]
    }
}

/// A forward of a local port to a task's container, or through it to a
/// host its network reaches (an RDS endpoint): SSM's port-forwarding
/// documents on the task's ECS Exec agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortForward {
    pub cluster: String,
    pub task: String,
    pub container: String,
    pub runtime_id: String,
    /// `None`: the container itself.
    pub remote_host: Option<String>,
    pub remote_port: u16,
    pub local_port: u16,
}

impl PortForward {
    /// The lowest local port a forward takes: lower ones need root.
    pub const MIN_LOCAL_PORT: u16 = 1024;

    /// The local port a forward to `remote` takes unless told: the same,
    /// or 10000 more below [`Self::MIN_LOCAL_PORT`].
    pub fn local_port_for(remote: u16) -> u16 {
        if remote >= Self::MIN_LOCAL_PORT {
            remote
        } else {
            remote.saturating_add(10_000)
        }
    }

    /// The SSM document that does it.
    pub fn document(&self) -> &'static str {
        if self.remote_host.is_some() {
            "AWS-StartPortForwardingSessionToRemoteHost"
        } else {
            "AWS-StartPortForwardingSession"
        }
    }

    /// The document's parameters, as StartSession takes them.
    pub fn parameters(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("portNumber", self.remote_port.to_string()),
            ("localPortNumber", self.local_port.to_string()),
        ];
        if let Some(host) = &self.remote_host {
            out.insert(0, ("host", host.clone()));
        }
        out
    }

    pub fn target(&self) -> String {
        ExecSession::target(&self.cluster, &self.task, &self.runtime_id)
    }

    /// The StartSession request the plugin is given.
    pub fn request(&self) -> String {
        let parameters: serde_json::Map<String, serde_json::Value> = self
            .parameters()
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!([v])))
            .collect();
        serde_json::json!({
            "Target": self.target(),
            "DocumentName": self.document(),
            "Parameters": parameters,
        })
        .to_string()
    }

    /// `127.0.0.1:15432 -> db.internal:5432 via task 0f1e…`, in words.
    pub fn describe(&self) -> String {
        let remote = match &self.remote_host {
            Some(host) => format!("{host}:{}", self.remote_port),
            None => format!("{}:{}", self.container, self.remote_port),
        };
        let task: String = self.task.chars().take(8).collect();
        format!("127.0.0.1:{} -> {remote} via task {task}", self.local_port)
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
            request: ExecSession::exec_request("ecs:prod_0f1e_0f1e-1234"),
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

    #[test]
    fn a_forward_to_a_remote_host_uses_its_document_and_parameters() {
        let mut f = PortForward {
            cluster: "prod".into(),
            task: "0f1e2d3c".into(),
            container: "api".into(),
            runtime_id: "0f1e2d3c-1".into(),
            remote_host: None,
            remote_port: 8080,
            local_port: 18080,
        };
        let request: serde_json::Value = serde_json::from_str(&f.request()).unwrap();
        assert_eq!(request["DocumentName"], "AWS-StartPortForwardingSession");
        assert_eq!(request["Parameters"]["portNumber"][0], "8080");
        assert_eq!(request["Target"], "ecs:prod_0f1e2d3c_0f1e2d3c-1");
        f.remote_host = Some("db.internal".into());
        let request: serde_json::Value = serde_json::from_str(&f.request()).unwrap();
        assert_eq!(
            request["DocumentName"],
            "AWS-StartPortForwardingSessionToRemoteHost"
        );
        assert_eq!(request["Parameters"]["host"][0], "db.internal");
        assert_eq!(
            f.describe(),
            "127.0.0.1:18080 -> db.internal:8080 via task 0f1e2d3c"
        );
    }
}
