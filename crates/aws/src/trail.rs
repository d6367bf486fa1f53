//! CloudTrail LookupEvents: the write calls anyone made to ECS and
//! Application Auto Scaling. LookupEvents answers 2 requests a second per
//! account and region and takes one attribute per call, so flightdeck asks
//! for each write call by name (a source would drown in reads), and keeps
//! the answer for [`TRAIL_CACHE_TTL`].

use super::ecs::{arn_name, task_def_ref};
use super::errors::Action;
use super::time::{from_sdk_opt, to_sdk};
use super::{AwsProvider, lock};
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use flightdeck_core::provider::Result;
use flightdeck_model::{Timestamp, WriteEvent, WriteSource};
use serde_json::Value;

/// The write calls that change a service or its scaling.
pub const WRITE_CALLS: [&str; 8] = [
    "UpdateService",
    "CreateService",
    "DeleteService",
    "StopServiceDeployment",
    "ContinueServiceDeployment",
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "PutScalingPolicy",
];

/// How long a lookup is reused: a timeline refreshed within it costs no call.
pub const TRAIL_CACHE_TTL: chrono::Duration = chrono::Duration::minutes(2);

/// Events read per call name (LookupEvents pages hold 50).
const PER_CALL: usize = 100;

/// The request parameters worth showing, in this order.
const PARAMETERS: [&str; 14] = [
    "taskDefinition",
    "desiredCount",
    "forceNewDeployment",
    "minCapacity",
    "maxCapacity",
    "policyName",
    "policyType",
    "stopType",
    "launchType",
    "serviceDeploymentArn",
    "action",
    "deploymentConfiguration",
    "scalableDimension",
    "resourceId",
];

/// A lookup kept for reuse: from when, read when, what.
#[derive(Debug, Clone)]
pub(super) struct CachedTrail {
    since: Timestamp,
    read_at: Timestamp,
    events: Vec<WriteEvent>,
}

impl AwsProvider {
    pub(super) async fn lookup_write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>> {
        let now = self.clock.now();
        let cached = lock(&self.trail)
            .clone()
            .filter(|c| c.since <= since && now - c.read_at < TRAIL_CACHE_TTL);
        if let Some(c) = cached {
            return Ok(c.events.into_iter().filter(|e| e.at >= since).collect());
        }
        let mut events = vec![];
        for call in WRITE_CALLS {
            let mut pages = self
                .clients
                .cloudtrail()
                .lookup_events()
                .lookup_attributes(
                    LookupAttribute::builder()
                        .attribute_key(LookupAttributeKey::EventName)
                        .attribute_value(call)
                        .build()
                        .map_err(|e| {
                            flightdeck_core::provider::ProviderError::Other(e.to_string())
                        })?,
                )
                .start_time(to_sdk(since))
                .end_time(to_sdk(now))
                .max_results(50)
                .into_paginator()
                .items()
                .send();
            let mut read = 0;
            while let Some(event) = pages.next().await {
                let event = event.map_err(self.fail(Action("cloudtrail:LookupEvents")))?;
                if let (Some(json), Some(at)) =
                    (event.cloud_trail_event(), from_sdk_opt(event.event_time()))
                    && let Some(w) =
                        write_event(call, at, event.event_id().unwrap_or_default(), json)
                {
                    events.push(w);
                }
                read += 1;
                if read >= PER_CALL {
                    break;
                }
            }
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.at));
        *lock(&self.trail) = Some(CachedTrail {
            since,
            read_at: now,
            events: events.clone(),
        });
        Ok(events)
    }
}

/// One CloudTrail record (the `CloudTrailEvent` JSON of LookupEvents) as a
/// write event; `None` when it is not JSON.
pub fn write_event(call: &str, at: Timestamp, id: &str, json: &str) -> Option<WriteEvent> {
    let record: Value = serde_json::from_str(json).ok()?;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let identity = &record["userIdentity"];
    let who = text(&identity["arn"])
        .or_else(|| text(&identity["invokedBy"]))
        .or_else(|| text(&identity["principalId"]))
        .unwrap_or_else(|| "unknown".into());
    let params = &record["requestParameters"];
    let (cluster, service) = target(params);
    let parameters = PARAMETERS
        .iter()
        .filter_map(|key| {
            let value = text(&params[*key])?;
            let value = match *key {
                "taskDefinition" => task_def_ref(&value).map_or(value, |r| r.to_string()),
                // The strategy is what an operator asks about; the rest
                // (hooks, alarms) is long and rarely what changed.
                "deploymentConfiguration" => {
                    return text(&params[*key]["strategy"]).map(|s| format!("strategy={s}"));
                }
                _ => value,
            };
            Some(format!("{key}={value}"))
        })
        .collect();
    Some(WriteEvent {
        id: text(&record["eventID"]).unwrap_or_else(|| id.to_string()),
        at,
        call: call.to_string(),
        who,
        from: WriteSource::parse(&text(&record["sourceIPAddress"]).unwrap_or_default()),
        cluster,
        service,
        parameters,
        error: text(&record["errorCode"]),
    })
}

/// The cluster and service a call's parameters name: `service` and
/// `cluster` (names or ARNs; no cluster is the default one), `serviceName`
/// of CreateService, Application Auto Scaling's `resourceId`
/// (`service/<cluster>/<service>`), a service deployment's ARN.
fn target(params: &Value) -> (Option<String>, Option<String>) {
    let get = |k: &str| params[k].as_str();
    if let Some(resource) = get("resourceId") {
        return match resource.split('/').collect::<Vec<_>>().as_slice() {
            ["service", cluster, service] => {
                (Some((*cluster).to_string()), Some((*service).to_string()))
            }
            _ => (None, None),
        };
    }
    if let Some(arn) = get("serviceDeploymentArn") {
        let resource = arn.rsplit_once(':').map_or(arn, |(_, r)| r);
        if let ["service-deployment", cluster, service, ..] =
            resource.split('/').collect::<Vec<_>>().as_slice()
        {
            return (Some((*cluster).to_string()), Some((*service).to_string()));
        }
    }
    let Some(service) = get("service").or(get("serviceName")) else {
        return (None, None);
    };
    // A service ARN names its cluster: `service/<cluster>/<name>`.
    if let Some(resource) = service
        .strip_prefix("arn:")
        .and_then(|a| a.rsplit_once(':'))
        && let ["service", cluster, name] = resource.1.split('/').collect::<Vec<_>>().as_slice()
    {
        return (Some((*cluster).to_string()), Some((*name).to_string()));
    }
    let cluster = get("cluster").map_or("default", arn_name);
    (
        Some(cluster.to_string()),
        Some(arn_name(service).to_string()),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    /// CloudTrail records that once surprised the decoder (`fuzz/corpus/aws`):
    /// an event or nothing, never a panic, and what it keeps of hostile text
    /// is kept for the sanitiser at the one way out.
    #[test]
    fn the_crash_corpus_of_records_decodes_or_is_dropped() {
        for json in CORPUS {
            for call in ["UpdateService", "RegisterTaskDefinition", "StopTask", ""] {
                let _ = write_event(call, at(), "id", json);
            }
        }
    }

    pub(crate) const CORPUS: [&str; 4] = [
        include_str!("../../../fuzz/corpus/aws/cloudtrail-hostile.json"),
        include_str!("../../../fuzz/corpus/aws/alarm-history-escape.json"),
        include_str!("../../../fuzz/corpus/aws/alarm-history-torn.json"),
        include_str!("../../../fuzz/corpus/aws/deep-nesting.json"),
    ];

    proptest::proptest! {
        #[test]
        fn any_record_is_an_event_or_nothing(
            call in "\\PC{0,24}",
            json in "\\PC{0,200}|\\{\"eventName\":\"[A-Za-z]{0,20}\",\"requestParameters\":\\{\"service\":\"\\PC{0,20}\",\"desiredCount\":-?[0-9]{0,25}(\\.[0-9]{0,3})?(e[0-9]{1,3})?\\}\\}",
        ) {
            let _ = write_event(&call, at(), "id", &json);
        }
    }

    fn at() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 29, 2, 47, 0)
            .unwrap()
    }

    /// The shape of an UpdateService record in the CloudTrail documentation
    /// ("Amazon ECS information in CloudTrail").
    const UPDATE_SERVICE: &str = r#"{
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:maria.k",
            "arn": "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_PowerUser_9f03b7/maria.k",
            "accountId": "123456789012"
        },
        "eventTime": "2026-11-29T02:47:00Z",
        "eventSource": "ecs.amazonaws.com",
        "eventName": "UpdateService",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.57",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {
            "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/shop",
            "service": "api",
            "desiredCount": 4,
            "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:43"
        },
        "responseElements": null,
        "eventID": "6f1b6e2a-1111-2222-3333-444455556666",
        "readOnly": false
    }"#;

    #[test]
    fn an_update_service_record_names_who_where_and_what() {
        let w = write_event("UpdateService", at(), "fallback", UPDATE_SERVICE).unwrap();
        assert_eq!(
            w.who,
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_PowerUser_9f03b7/maria.k"
        );
        assert_eq!(w.from.as_str(), "203.0.113.57");
        assert_eq!(w.cluster.as_deref(), Some("shop"));
        assert_eq!(w.service.as_deref(), Some("api"));
        assert_eq!(w.parameters, ["taskDefinition=api:43", "desiredCount=4"]);
        assert_eq!(w.id, "6f1b6e2a-1111-2222-3333-444455556666");
        assert_eq!(w.error, None);
    }

    #[test]
    fn every_way_a_call_names_its_service_is_understood() {
        let t = |params: &str| {
            let json = format!(r#"{{"requestParameters": {params}}}"#);
            let w = write_event("X", at(), "id", &json).unwrap();
            (w.cluster, w.service)
        };
        let pair = |c: &str, s: &str| (Some(c.to_string()), Some(s.to_string()));
        assert_eq!(t(r#"{"service": "api"}"#), pair("default", "api"));
        assert_eq!(
            t(r#"{"service": "arn:aws:ecs:us-east-1:1:service/shop/api"}"#),
            pair("shop", "api")
        );
        assert_eq!(
            t(r#"{"cluster": "shop", "serviceName": "api"}"#),
            pair("shop", "api")
        );
        assert_eq!(
            t(r#"{"resourceId": "service/shop/api", "maxCapacity": 12}"#),
            pair("shop", "api")
        );
        assert_eq!(
            t(
                r#"{"serviceDeploymentArn": "arn:aws:ecs:us-east-1:1:service-deployment/shop/api/abc"}"#
            ),
            pair("shop", "api")
        );
        assert_eq!(t(r#"{"family": "api"}"#), (None, None));
    }

    #[test]
    fn a_strategy_change_and_a_continue_show_what_they_did() {
        let json = r#"{"requestParameters": {"cluster": "shop", "service": "api",
            "deploymentConfiguration": {"strategy": "CANARY", "bakeTimeInMinutes": 15,
            "lifecycleHooks": [{"targetType": "PAUSE"}]}}}"#;
        let w = write_event("UpdateService", at(), "id", json).unwrap();
        assert_eq!(w.parameters, ["strategy=CANARY"]);
        let json = r#"{"requestParameters": {"action": "CONTINUE", "hookId": "h1",
            "serviceDeploymentArn": "arn:aws:ecs:us-east-1:1:service-deployment/shop/api/abc"}}"#;
        let w = write_event("ContinueServiceDeployment", at(), "id", json).unwrap();
        assert_eq!(
            w.parameters,
            [
                "serviceDeploymentArn=arn:aws:ecs:us-east-1:1:service-deployment/shop/api/abc",
                "action=CONTINUE"
            ]
        );
    }

    #[test]
    fn a_failed_call_keeps_its_error_and_a_service_caller_its_name() {
        let json = r#"{"userIdentity": {"type": "AWSService", "invokedBy": "application-autoscaling.amazonaws.com"},
            "sourceIPAddress": "application-autoscaling.amazonaws.com",
            "errorCode": "AccessDeniedException",
            "requestParameters": {"cluster": "shop", "service": "api", "desiredCount": 9}}"#;
        let w = write_event("UpdateService", at(), "id", json).unwrap();
        assert_eq!(w.who, "application-autoscaling.amazonaws.com");
        assert_eq!(w.error.as_deref(), Some("AccessDeniedException"));
        assert!(write_event("UpdateService", at(), "id", "not json").is_none());
    }
}
