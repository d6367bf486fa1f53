//! CodeDeploy deployment groups: which one deploys a service of the
//! CODE_DEPLOY controller. DescribeServices names only the controller, so
//! flightdeck reads the groups (ListApplications, ListDeploymentGroups,
//! GetDeploymentGroup) when a service needs them, and keeps the answer for
//! [`GROUPS_TTL`]: they change with infrastructure, not with deployments.

use super::errors::Action;
use super::{AwsProvider, lock};
use flightdeck_core::provider::Result;
use flightdeck_model::{Controller, Service, Timestamp};
use std::collections::HashMap;

/// How long the groups read are reused.
pub const GROUPS_TTL: chrono::Duration = chrono::Duration::minutes(10);

/// `(cluster, service)` -> `application/deployment group`.
type Groups = HashMap<(String, String), String>;

/// The groups read last, and when.
#[derive(Debug, Default)]
pub(super) struct CachedGroups {
    read: Option<(Timestamp, Groups)>,
}

impl AwsProvider {
    /// Names the deployment group of every CODE_DEPLOY service in
    /// `services`. A failed read leaves them unnamed (logged): the
    /// services themselves are still worth showing.
    pub(super) async fn name_deployment_groups(&self, services: &mut [Service]) {
        if !services
            .iter()
            .any(|s| s.deployment_config.controller == Controller::CodeDeploy)
        {
            return;
        }
        let groups = match self.deployment_groups().await {
            Ok(groups) => groups,
            Err(e) => {
                tracing::warn!("CodeDeploy deployment groups not read: {e}");
                return;
            }
        };
        for s in services
            .iter_mut()
            .filter(|s| s.deployment_config.controller == Controller::CodeDeploy)
        {
            s.deployment_config.deployment_group =
                groups.get(&(s.cluster.clone(), s.name.clone())).cloned();
        }
    }

    async fn deployment_groups(&self) -> Result<Groups> {
        let now = self.clock.now();
        if let Some((at, groups)) = &lock(&self.deployment_groups).read
            && now - *at < GROUPS_TTL
        {
            return Ok(groups.clone());
        }
        let groups = self.read_deployment_groups().await?;
        lock(&self.deployment_groups).read = Some((now, groups.clone()));
        Ok(groups)
    }

    async fn read_deployment_groups(&self) -> Result<Groups> {
        let cd = self.clients.codedeploy();
        let mut applications = vec![];
        let mut token: Option<String> = None;
        loop {
            let out = cd
                .list_applications()
                .set_next_token(token.take())
                .send()
                .await
                .map_err(self.fail(Action("codedeploy:ListApplications")))?;
            applications.extend(out.applications().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut groups = Groups::new();
        for application in applications {
            let mut names = vec![];
            let mut token: Option<String> = None;
            loop {
                let out = cd
                    .list_deployment_groups()
                    .application_name(&application)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(self.fail(Action("codedeploy:ListDeploymentGroups")))?;
                names.extend(out.deployment_groups().iter().cloned());
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
            for name in names {
                let out = cd
                    .get_deployment_group()
                    .application_name(&application)
                    .deployment_group_name(&name)
                    .send()
                    .await
                    .map_err(self.fail(Action("codedeploy:GetDeploymentGroup")))?;
                let services = out
                    .deployment_group_info()
                    .map(|g| g.ecs_services().to_vec())
                    .unwrap_or_default();
                for s in services {
                    if let (Some(cluster), Some(service)) = (s.cluster_name(), s.service_name()) {
                        groups.insert(
                            (cluster.to_string(), service.to_string()),
                            format!("{application}/{name}"),
                        );
                    }
                }
            }
        }
        Ok(groups)
    }
}
