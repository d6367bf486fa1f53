"""ECS Exec, which moto lacks, for flightdeck's test proxy.

moto ignores RunTask's enableExecuteCommand and has no ExecuteCommand. The
proxy remembers the tasks a test started with enableExecuteCommand and
answers as ECS does for them, in the shapes of the ECS API reference:

* DescribeTasks: moto's managed state walks every task on through
  DEACTIVATING and STOPPING as it is read; ECS keeps a task RUNNING until it
  is stopped, so a task whose desiredStatus is RUNNING is shown RUNNING once
  moto has started it;
* DescribeTasks: a task started with execute command has
  enableExecuteCommand true, and each of its
  containers a runtimeId, the ExecuteCommandAgent among its managedAgents
  (RUNNING) and, the task running, lastStatus RUNNING (moto leaves every
  container PENDING);
* ExecuteCommand on such a task answers the task, the container and a
  session (sessionId, streamUrl, tokenValue); on any other task it fails
  with the InvalidParameterException ECS gives when execute command was not
  enabled when the task was run.

* SSM StartSession (port forwarding: AWS-StartPortForwardingSession and
  AWS-StartPortForwardingSessionToRemoteHost) on the target
  `ecs:CLUSTER_TASKID_RUNTIMEID` of such a task answers a session
  (SessionId, TokenValue, StreamUrl); any other target fails with SSM's
  TargetNotConnected; TerminateSession answers the session id.

No session is real: the plugin the tests put on the PATH is a fake that
records what it was given.
"""

import threading
import uuid

NOT_ENABLED = (
    "The execute command failed because execute command was not enabled when the task "
    "was run or the execute command agent isn't running. Wait and try again or run a new "
    "task with execute command enabled and try again."
)


class ExecTasks:
    def __init__(self):
        self.lock = threading.Lock()
        # (account, task ARN) of the tasks started with execute command.
        self.enabled = set()

    def observe_run_task(self, account, request, answer):
        if not request.get("enableExecuteCommand"):
            return
        with self.lock:
            for task in answer.get("tasks") or []:
                self.enabled.add((account, task.get("taskArn")))

    def describe_tasks(self, account, answer):
        with self.lock:
            enabled = {arn for (a, arn) in self.enabled if a == account}
        for task in answer.get("tasks") or []:
            if task.get("desiredStatus") == "RUNNING" and task.get("lastStatus") in (
                "DEACTIVATING",
                "STOPPING",
                "DEPROVISIONING",
            ):
                task["lastStatus"] = "RUNNING"
            if task.get("taskArn") not in enabled:
                continue
            task["enableExecuteCommand"] = True
            task_id = task["taskArn"].rsplit("/", 1)[-1]
            running = task.get("lastStatus") == "RUNNING" and task.get("desiredStatus") != "STOPPED"
            for i, container in enumerate(task.get("containers") or []):
                container["runtimeId"] = f"{task_id}-{i:010d}"
                if running:
                    container["lastStatus"] = "RUNNING"
                container["managedAgents"] = [
                    {
                        "name": "ExecuteCommandAgent",
                        "lastStatus": "RUNNING" if running else "STOPPED",
                    }
                ]
        return answer

    def execute_command(self, account, region, request):
        """(status, answer) of ExecuteCommand."""
        cluster = request.get("cluster") or "default"
        task = request.get("task") or ""
        with self.lock:
            match = [arn for (a, arn) in self.enabled if a == account and arn.endswith("/" + task.rsplit("/", 1)[-1])]
        if not match:
            return 400, {"__type": "InvalidParameterException", "message": NOT_ENABLED}
        task_arn = match[0]
        session_id = f"ecs-execute-command-{uuid.uuid4().hex[:17]}"
        return 200, {
            "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/{cluster.rsplit('/', 1)[-1]}",
            "taskArn": task_arn,
            "containerName": request.get("container"),
            "containerArn": f"{task_arn.replace(':task/', ':container/')}/{uuid.uuid4()}",
            "interactive": bool(request.get("interactive")),
            "session": {
                "sessionId": session_id,
                "streamUrl": f"wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/{session_id}?role=publish_subscribe&cell-number=AAEAAQ",
                "tokenValue": "AAEAAe" + uuid.uuid4().hex * 4,
            },
        }

    def start_session(self, account, region, request):
        """(status, answer) of SSM StartSession on an ECS task's container."""
        target = request.get("Target") or ""
        parts = target[len("ecs:"):].split("_") if target.startswith("ecs:") else []
        task_id = parts[1] if len(parts) == 3 else None
        with self.lock:
            known = task_id and any(
                a == account and arn.endswith("/" + task_id) for (a, arn) in self.enabled
            )
        if not known:
            return 400, {"__type": "TargetNotConnected", "message": f"{target} is not connected."}
        session_id = f"fdt-{uuid.uuid4().hex[:17]}"
        return 200, {
            "SessionId": session_id,
            "TokenValue": "AAEAAf" + uuid.uuid4().hex * 4,
            "StreamUrl": f"wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/{session_id}?role=publish_subscribe",
        }

    def terminate_session(self, request):
        return 200, {"SessionId": request.get("SessionId")}
