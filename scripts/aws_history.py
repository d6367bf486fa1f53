"""What AWS remembers and moto does not: the test proxy's answers to the
history APIs flightdeck reads for its change timeline.

moto implements neither ECS's service-deployment history
(ListServiceDeployments, DescribeServiceDeployments,
DescribeServiceRevisions), nor CloudWatch's DescribeAlarmHistory, nor
CloudTrail's LookupEvents. The proxy answers them here, in the shapes the
AWS API references document, from the real calls it forwards to moto:

* every successful CreateService, and UpdateService that changes the task
  definition or forces a deployment, becomes a service revision and a
  SUCCESSFUL service deployment (moto reaches a steady state at once);
* moto drops a service's deploymentConfiguration (strategy, bake, lifecycle
  hooks, alarms): the proxy keeps the last one CreateService or UpdateService
  gave, as ECS does, and adds it to the services moto returns; moto also
  leaves the PRIMARY deployment on its first task definition, which the
  proxy sets to the service's;
* under a traffic-shifting strategy (BLUE_GREEN, CANARY, LINEAR) with a
  PAUSE lifecycle hook, an UpdateService deployment waits at the hook's
  stage, IN_PROGRESS with the hook AWAITING_ACTION, until
  ContinueServiceDeployment (which moto lacks too) continues it (then
  SUCCESSFUL, moto's tasks being steady at once) or rolls it back;
* StopServiceDeployment (ROLLBACK) of a deployment in progress rolls it
  back as ECS does: ROLLBACK_SUCCESSFUL, and the service back on the
  revision it replaced (an UpdateService the proxy sends moto itself); a
  deployment not in progress is refused with ConflictException, an unknown
  one with ServiceDeploymentNotFoundException; DescribeServices names a
  deployment in progress as the service's currentServiceDeployment;
* every SetAlarmState becomes a StateUpdate history item, its old state read
  from moto just before the change;
* every successful write call to ECS or Application Auto Scaling becomes a
  CloudTrail management event, with the caller's identity: the access key
  `FDT<account><name>` is IAM user <name> (`moto` without one, as moto's
  GetCallerIdentity says), from the caller's address.

Nothing here is invented: an answer holds only what the test's own calls did.
"""

import datetime
import json
import re
import threading
import uuid

ECS_TRAILED = {
    "ContinueServiceDeployment",
    "CreateService",
    "UpdateService",
    "DeleteService",
    "RegisterTaskDefinition",
    "StopServiceDeployment",
}
AUTOSCALING_TRAILED = {
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "PutScalingPolicy",
    "DeleteScalingPolicy",
}
OBSERVED = ECS_TRAILED | AUTOSCALING_TRAILED
ANSWERED = {
    "StopServiceDeployment",
    "ContinueServiceDeployment",
    "ListServiceDeployments",
    "DescribeServiceDeployments",
    "DescribeServiceRevisions",
    "DescribeAlarmHistory",
    "LookupEvents",
}


def now():
    return datetime.datetime.now(tz=datetime.timezone.utc).timestamp()


def name_of(value, default=None):
    """A name or an ARN (`.../cluster/name`, `.../service/cluster/name`) -> the name."""
    if not value:
        return default
    return value.rsplit("/", 1)[-1]


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class History:
    def __init__(self):
        self.lock = threading.Lock()
        # (account, region, cluster, service) -> deployments, oldest first
        self.deployments = {}
        # revision ARN -> revision
        self.revisions = {}
        # (account, alarm name) -> history items, oldest first
        self.alarms = {}
        # account -> CloudTrail events, oldest first
        self.trail = {}
        # (account, region, cluster, service) -> deploymentConfiguration
        self.configs = {}

    # -- observing the calls forwarded to moto ---------------------------

    def observe(self, caller, operation, request, answer):
        """A call moto answered with 200: remember what AWS would."""
        if operation in ("CreateService", "UpdateService"):
            self.remember_configuration(caller, request, answer)
            self.service_changed(caller, operation, request, answer)
        if operation in OBSERVED:
            self.record_event(caller, operation, request, answer)

    @staticmethod
    def service_key(caller, service):
        return (
            caller["account"],
            caller["region"],
            name_of(service.get("clusterArn"), "default"),
            service.get("serviceName"),
        )

    def remember_configuration(self, caller, request, answer):
        config = request.get("deploymentConfiguration")
        if config is not None:
            with self.lock:
                self.configs[self.service_key(caller, answer.get("service") or {})] = config

    def with_configuration(self, caller, answer):
        """moto's answer with each service's deploymentConfiguration, current
        service deployment and PRIMARY task definition, as ECS gives them."""
        services = answer.get("services") or ([answer["service"]] if answer.get("service") else [])
        with self.lock:
            for service in services:
                # moto leaves the PRIMARY deployment on the task definition
                # it started with; in ECS it runs the service's.
                primary = [d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"]
                if primary and service.get("taskDefinition"):
                    primary[0]["taskDefinition"] = service["taskDefinition"]
                key = self.service_key(caller, service)
                config = self.configs.get(key)
                if config is not None:
                    service["deploymentConfiguration"] = config
                # Only one in progress: moto's rolling deployments finish
                # at once here, so none of them is ever there to stop.
                newest = (self.deployments.get(key) or [None])[-1]
                if newest and newest["status"] in ("PENDING", "IN_PROGRESS"):
                    service["currentServiceDeployment"] = newest["serviceDeploymentArn"]
        return answer

    def paused_at(self, key):
        """The stage and pause hook a new deployment of `key` waits at, if any."""
        config = self.configs.get(key) or {}
        if config.get("strategy") not in ("BLUE_GREEN", "CANARY", "LINEAR"):
            return None
        for hook in config.get("lifecycleHooks") or []:
            if hook.get("targetType") == "PAUSE" and hook.get("lifecycleStages"):
                return hook["lifecycleStages"][0], hook
        return None

    def service_changed(self, caller, operation, request, answer):
        service = answer.get("service") or {}
        if operation == "UpdateService" and not (
            request.get("taskDefinition") or request.get("forceNewDeployment")
        ):
            return  # a desired count alone starts no service deployment
        cluster = name_of(service.get("clusterArn"), "default")
        name = service.get("serviceName")
        key = (caller["account"], caller["region"], cluster, name)
        at = now()
        prefix = f"arn:aws:ecs:{caller['region']}:{caller['account']}"
        revision_arn = f"{prefix}:service-revision/{cluster}/{name}/{uuid.uuid4().int % 10**19}"
        with self.lock:
            history = self.deployments.setdefault(key, [])
            sources = [history[-1]["targetServiceRevision"]] if history else []
            self.revisions[revision_arn] = {
                "serviceRevisionArn": revision_arn,
                "serviceArn": service.get("serviceArn"),
                "clusterArn": service.get("clusterArn"),
                "taskDefinition": service.get("taskDefinition"),
                "launchType": service.get("launchType", "FARGATE"),
                "createdAt": at,
            }
            history.append(
                {
                    "serviceDeploymentArn": f"{prefix}:service-deployment/{cluster}/{name}/{uuid.uuid4().hex[:22]}",
                    "serviceArn": service.get("serviceArn"),
                    "clusterArn": service.get("clusterArn"),
                    "createdAt": at,
                    "startedAt": at,
                    "finishedAt": at,
                    "updatedAt": at,
                    "sourceServiceRevisions": [
                        {"arn": s["arn"], "requestedTaskCount": 0, "runningTaskCount": 0, "pendingTaskCount": 0}
                        for s in sources
                    ],
                    "targetServiceRevision": {
                        "arn": revision_arn,
                        "requestedTaskCount": service.get("desiredCount", 0),
                        "runningTaskCount": service.get("desiredCount", 0),
                        "pendingTaskCount": 0,
                    },
                    "status": "SUCCESSFUL",
                    "statusReason": "ECS deployment completed.",
                    "deploymentCircuitBreaker": {"status": "MONITORING_COMPLETE", "failureCount": 0, "threshold": 3},
                }
            )
            paused = self.paused_at(key) if operation == "UpdateService" else None
            if paused:
                stage, hook = paused
                timeout = hook.get("timeoutConfiguration") or {}
                d = history[-1]
                del d["finishedAt"]
                d["status"] = "IN_PROGRESS"
                d["statusReason"] = f"Waiting for the lifecycle hook at {stage}."
                d["lifecycleStage"] = stage
                d["targetServiceRevision"]["requestedProductionTrafficWeight"] = 0.0
                d["lifecycleHookDetails"] = [
                    {
                        "hookId": uuid.uuid4().hex[:16],
                        "targetType": "PAUSE",
                        "status": "AWAITING_ACTION",
                        "expiresAt": at + 60 * int(timeout.get("timeoutInMinutes", 60)),
                        "timeoutAction": timeout.get("action", "ROLLBACK"),
                    }
                ]

    def alarm_state_set(self, account, name, old, request):
        """SetAlarmState of `name` from `old`: a StateUpdate item."""
        new = request.get("StateValue")
        data = {
            "version": "1.0",
            "oldState": {"stateValue": old},
            "newState": {"stateValue": new, "stateReason": request.get("StateReason", "")},
        }
        with self.lock:
            self.alarms.setdefault((account, name), []).append(
                {
                    "AlarmName": name,
                    "AlarmType": "MetricAlarm",
                    "Timestamp": now(),
                    "HistoryItemType": "StateUpdate",
                    "HistorySummary": f"Alarm updated from {old} to {new}",
                    "HistoryData": json.dumps(data),
                }
            )

    def record_event(self, caller, operation, request, answer):
        source = "ecs.amazonaws.com" if operation in ECS_TRAILED else "application-autoscaling.amazonaws.com"
        at = now()
        event_id = str(uuid.uuid4())
        record = {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": f"AIDA{caller['user'].upper()}",
                "arn": f"arn:aws:iam::{caller['account']}:user/{caller['user']}",
                "accountId": caller["account"],
                "userName": caller["user"],
            },
            "eventTime": iso(at),
            "eventSource": source,
            "eventName": operation,
            "awsRegion": caller["region"],
            "sourceIPAddress": caller["address"],
            "userAgent": caller["agent"],
            "requestParameters": request,
            "responseElements": None,
            "requestID": str(uuid.uuid4()),
            "eventID": event_id,
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": caller["account"],
            "eventCategory": "Management",
        }
        with self.lock:
            self.trail.setdefault(caller["account"], []).append(
                {
                    "EventId": event_id,
                    "EventName": operation,
                    "ReadOnly": "false",
                    "EventTime": at,
                    "EventSource": source,
                    "Username": caller["user"],
                    "Resources": [],
                    "CloudTrailEvent": json.dumps(record),
                }
            )

    # -- answering what moto cannot ---------------------------------------

    def answer(self, caller, operation, request):
        """`(status, body, follow_up)` of an operation moto does not
        implement; `follow_up`, when not None, is a `(operation, request)`
        the proxy must send moto so that moto's state agrees."""
        answer = getattr(self, operation)(caller, request)
        return answer if len(answer) == 3 else (*answer, None)

    def StopServiceDeployment(self, caller, request):
        arn = request.get("serviceDeploymentArn")
        with self.lock:
            found = [
                (key, d) for key, ds in self.deployments.items() for d in ds if d["serviceDeploymentArn"] == arn
            ]
            if not found:
                return 400, {
                    "__type": "ServiceDeploymentNotFoundException",
                    "message": f"The service deployment {arn} does not exist.",
                }
            key, d = found[0]
            if d["status"] not in ("PENDING", "IN_PROGRESS"):
                return 400, {
                    "__type": "ConflictException",
                    "message": f"The service deployment {arn} is {d['status']}, not in progress.",
                }
            at = now()
            d["status"] = "ROLLBACK_SUCCESSFUL"
            d["statusReason"] = "Stopped by StopServiceDeployment with stopType ROLLBACK."
            d["stoppedAt"] = at
            d["finishedAt"] = at
            d["updatedAt"] = at
            d.pop("lifecycleStage", None)
            d["rollback"] = {"reason": "StopServiceDeployment requested a rollback.", "startedAt": at}
            d["targetServiceRevision"]["requestedProductionTrafficWeight"] = 0.0
            sources = d.get("sourceServiceRevisions") or []
            back = self.revisions.get(sources[0]["arn"]) if sources else None
        self.record_event(caller, "StopServiceDeployment", request, {})
        follow_up = None
        if back:
            follow_up = (
                "UpdateService",
                {"cluster": key[2], "service": key[3], "taskDefinition": back["taskDefinition"]},
            )
        return 200, {"serviceDeploymentArn": arn}, follow_up

    def ContinueServiceDeployment(self, caller, request):
        arn = request.get("serviceDeploymentArn")
        hook_id = request.get("hookId")
        action = request.get("action") or "CONTINUE"
        with self.lock:
            every = {d["serviceDeploymentArn"]: d for ds in self.deployments.values() for d in ds}
            d = every.get(arn)
            waiting = [
                h
                for h in (d or {}).get("lifecycleHookDetails", [])
                if h["hookId"] == hook_id and h["status"] == "AWAITING_ACTION"
            ]
            if not waiting:
                return 400, {
                    "__type": "InvalidParameterException",
                    "message": f"Service deployment {arn} has no lifecycle hook {hook_id} awaiting action.",
                }
            at = now()
            waiting[0]["status"] = "SUCCEEDED" if action == "CONTINUE" else "FAILED"
            d["updatedAt"] = at
            d["finishedAt"] = at
            d.pop("lifecycleStage", None)
            if action == "CONTINUE":
                d["status"] = "SUCCESSFUL"
                d["statusReason"] = "ECS deployment completed."
                d["targetServiceRevision"]["requestedProductionTrafficWeight"] = 100.0
            else:
                d["status"] = "ROLLBACK_SUCCESSFUL"
                d["statusReason"] = "Rolled back at the lifecycle hook."
                d["rollback"] = {"reason": "Rolled back at the lifecycle hook by ContinueServiceDeployment.", "startedAt": at}
                d["targetServiceRevision"]["requestedProductionTrafficWeight"] = 0.0
        self.record_event(caller, "ContinueServiceDeployment", request, {})
        return 200, {"serviceDeploymentArn": arn}

    def ListServiceDeployments(self, caller, request):
        key = (
            caller["account"],
            caller["region"],
            name_of(request.get("cluster"), "default"),
            name_of(request.get("service")),
        )
        after = (request.get("createdAt") or {}).get("after")
        before = (request.get("createdAt") or {}).get("before")
        statuses = request.get("status") or []
        with self.lock:
            found = [
                d
                for d in reversed(self.deployments.get(key, []))
                if (after is None or d["createdAt"] >= after)
                and (before is None or d["createdAt"] <= before)
                and (not statuses or d["status"] in statuses)
            ]
        start = int(request.get("nextToken") or 0)
        size = int(request.get("maxResults") or 20)
        page = found[start : start + size]
        briefs = [
            {
                k: d[k]
                for k in (
                    "serviceDeploymentArn",
                    "serviceArn",
                    "clusterArn",
                    "startedAt",
                    "createdAt",
                    "finishedAt",
                    "status",
                    "statusReason",
                )
                if k in d
            }
            | {"targetServiceRevisionArn": d["targetServiceRevision"]["arn"]}
            for d in page
        ]
        body = {"serviceDeployments": briefs}
        if start + size < len(found):
            body["nextToken"] = str(start + size)
        return 200, body

    def DescribeServiceDeployments(self, caller, request):
        wanted = request.get("serviceDeploymentArns") or []
        if len(wanted) > 20:
            return 400, {"__type": "InvalidParameterException", "message": "serviceDeploymentArns can have at most 20 items"}
        with self.lock:
            every = {d["serviceDeploymentArn"]: d for ds in self.deployments.values() for d in ds}
        found = [every[a] for a in wanted if a in every]
        missing = [{"arn": a, "reason": "MISSING"} for a in wanted if a not in every]
        return 200, {"serviceDeployments": found, "failures": missing}

    def DescribeServiceRevisions(self, caller, request):
        wanted = request.get("serviceRevisionArns") or []
        if len(wanted) > 20:
            return 400, {"__type": "InvalidParameterException", "message": "serviceRevisionArns can have at most 20 items"}
        with self.lock:
            found = [self.revisions[a] for a in wanted if a in self.revisions]
        missing = [{"arn": a, "reason": "MISSING"} for a in wanted if a not in self.revisions]
        return 200, {"serviceRevisions": found, "failures": missing}

    def DescribeAlarmHistory(self, caller, request):
        with self.lock:
            items = list(self.alarms.get((caller["account"], request.get("AlarmName")), []))
        kind = request.get("HistoryItemType")
        items = [i for i in items if not kind or i["HistoryItemType"] == kind]
        if request.get("ScanBy", "TimestampDescending") == "TimestampDescending":
            items.reverse()
        return 200, {"AlarmHistoryItems": items[: int(request.get("MaxRecords") or 100)]}

    def LookupEvents(self, caller, request):
        attributes = request.get("LookupAttributes") or []
        if len(attributes) > 1:
            return 400, {"__type": "InvalidLookupAttributesException", "message": "only one lookup attribute is allowed"}
        start = request.get("StartTime")
        end = request.get("EndTime")
        field = {"EventName": "EventName", "EventSource": "EventSource", "Username": "Username", "EventId": "EventId"}
        with self.lock:
            events = list(reversed(self.trail.get(caller["account"], [])))
        for a in attributes:
            key = field.get(a.get("AttributeKey"))
            events = [e for e in events if key and e.get(key) == a.get("AttributeValue")]
        events = [
            e
            for e in events
            if (start is None or e["EventTime"] >= start) and (end is None or e["EventTime"] <= end)
        ]
        offset = int(request.get("NextToken") or 0)
        size = min(int(request.get("MaxResults") or 50), 50)
        body = {"Events": events[offset : offset + size]}
        if offset + size < len(events):
            body["NextToken"] = str(offset + size)
        return 200, body


CREDENTIAL = re.compile(r"Credential=FDT(\d{12})([A-Za-z0-9]*)/\d{8}/([a-z0-9-]+)/")


def caller_of(authorization, address, agent):
    """The account, IAM user name and region a signed request names."""
    match = CREDENTIAL.search(authorization or "")
    if not match:
        return None
    return {
        "account": match.group(1),
        "user": match.group(2).lower() or "moto",
        "region": match.group(3),
        "address": address,
        "agent": agent or "",
    }
