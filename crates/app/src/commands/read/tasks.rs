//! `tasks`: one service's tasks, running first, with what `stop-task` and
//! `exec` take (the id) and why the stopped ones stopped.

use super::*;
use flightdeck_model::{ServiceRef, Task, TaskStatus, Timestamp};

#[derive(Debug, Serialize)]
pub(super) struct TaskRow {
    environment: String,
    cluster: String,
    service: String,
    id: String,
    task_definition: String,
    last_status: String,
    desired_status: String,
    health: String,
    availability_zone: String,
    started_at: Option<String>,
    stopped_at: Option<String>,
    stopped_reason: Option<String>,
    containers: Vec<String>,
}

fn rfc3339(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}

fn row(env: &str, cluster: &str, service: &str, t: Task) -> TaskRow {
    TaskRow {
        environment: env.to_string(),
        cluster: cluster.to_string(),
        service: service.to_string(),
        task_definition: t.task_definition.to_string(),
        last_status: t.last_status.as_str().to_string(),
        desired_status: t.desired_status.as_str().to_string(),
        health: t.health.to_string(),
        availability_zone: t.availability_zone,
        started_at: rfc3339(t.started_at),
        stopped_at: rfc3339(t.stopped_at),
        stopped_reason: t.stopped_reason,
        containers: t.containers.into_iter().map(|c| c.name).collect(),
        id: t.id,
    }
}

pub(super) async fn tasks(
    p: &Provider,
    cluster: &str,
    service: &str,
    json: bool,
) -> Result<(), Failure> {
    let env = p.environment().name.clone();
    let mut found = p
        .tasks(&ServiceRef::new(cluster, service))
        .await
        .map_err(Failure::failed)?;
    // Running first, then the newest stops.
    found.sort_by_key(|t| {
        (
            t.desired_status == TaskStatus::Stopped,
            std::cmp::Reverse(t.stopped_at),
        )
    });
    let rows: Vec<TaskRow> = found
        .into_iter()
        .map(|t| row(&env, cluster, service, t))
        .collect();
    if json {
        return print_json(&rows);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.last_status.clone(),
                r.health.clone(),
                r.availability_zone.clone(),
                r.task_definition.clone(),
                r.stopped_reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table::print(
        &[
            "TASK",
            "STATUS",
            "HEALTH",
            "ZONE",
            "TASK DEFINITION",
            "STOPPED BECAUSE",
        ],
        &cells,
    );
    Ok(())
}
