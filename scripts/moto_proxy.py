#!/usr/bin/env python3
"""A proxy in front of moto for flightdeck's integration tests.

It does seven things moto does not:

1. CloudWatch: the current aws-sdk-cloudwatch speaks Smithy RPC v2 CBOR,
   moto speaks JSON 1.0. Requests to /service/<svc>/operation/<Op> are
   translated CBOR -> JSON (X-Amz-Target GraniteServiceVersion20100801.<Op>)
   and the answer JSON -> CBOR, timestamps as CBOR tag 1.
2. Accounts: an access key id `FDT<12 digits>...` selects that moto account
   (x-moto-account-id), so every test and environment is isolated.
3. AWS limits moto ignores: DescribeServices takes at most 10 services,
   DescribeTasks 100; ECS list calls are cut into pages of at most
   --max-page items with a nextToken (POST /__flightdeck/page
   {"account", "max_page"} sets an account's own, e.g. AWS's 100).
4. Faults: POST /__flightdeck/faults {"account", "operation", "status",
   "code", "message"} makes that operation of that account fail; with
   {"account", "operation", "delay_ms"} instead, the call is held that long
   and then answered normally (a slow or hung endpoint).
   GET /__flightdeck/calls?account=A counts the calls per operation.
   POST /__flightdeck/skew {"account", "seconds"} dates that account's
   answers that many seconds ahead (a machine clock that is off).
5. History: the APIs moto lacks that flightdeck's change timeline reads
   (ECS service deployments and revisions, CloudWatch alarm history,
   CloudTrail LookupEvents) are answered from the calls the proxy saw;
   see aws_history.py.
6. ECS Exec and port forwarding: RunTask's enableExecuteCommand, what
   DescribeTasks then says of such a task, ExecuteCommand, and SSM's
   StartSession and TerminateSession; see aws_exec.py.
7. The IAM Identity Center portal (discovery of accounts and roles, role
   credentials): POST /__flightdeck/sso sets its directory; see aws_sso.py.
8. S3 passes through as it is, HEAD (HeadObject) included, with moto's own
   Content-Length and no body.

Every socket has TCP_NODELAY: without it each call costs ~50 ms.
"""

import argparse
import datetime
import email.utils
import http.client
import http.server
import json
import os
import re
import socket
import sys
import time
import threading
import urllib.parse
import uuid

import cbor2

import aws_exec
import aws_history
import aws_sso

CLOUDWATCH_TARGET = "GraniteServiceVersion20100801"
ACCESS_KEY = re.compile(r"Credential=FDT(\d{12})")
OPERATION_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)")
HOP_HEADERS = {"connection", "transfer-encoding", "keep-alive", "content-length", "host"}
LIMITS = {"DescribeServices": ("services", 10), "DescribeTasks": ("tasks", 100)}
PAGED = {"ListServices": "serviceArns", "ListTasks": "taskArns", "ListClusters": "clusterArns"}

faults = {}
calls = {}
page_sizes = {}
skews = {}
history = aws_history.History()
exec_tasks = aws_exec.ExecTasks()
portal = aws_sso.Portal()
REGION = re.compile(r"Credential=[^/]+/\d+/([^/]+)/")
lock = threading.Lock()


def to_json_value(value):
    """CBOR request values -> JSON: datetimes become epoch seconds."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    return value


def epoch(value):
    return datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc)


def to_cbor_value(value, key=""):
    """JSON response values -> CBOR: *Timestamp(s) fields become datetimes."""
    if isinstance(value, dict):
        return {k: to_cbor_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        if key.endswith("Timestamps"):
            return [epoch(v) for v in value]
        return [to_cbor_value(v) for v in value]
    if key.endswith("Timestamp") and isinstance(value, (int, float)):
        return epoch(value)
    return value


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ("127.0.0.1", 5000)
    max_page = 100

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def do_DELETE(self):
        self.handle_request()

    def do_HEAD(self):
        # S3 HeadObject: moto's headers, its Content-Length included, no body.
        self.handle_request()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, body, content_type, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_request(self):
        body = self.read_body()
        if self.path.startswith("/__flightdeck/"):
            return self.control(body)
        if portal.handles(self.path):
            with lock:
                status, answer = portal.answer(self.path, self.headers)
            extra = {"x-amzn-RequestId": str(uuid.uuid4())}
            if status >= 400:
                extra["x-amzn-ErrorType"] = answer["__type"]
            return self.reply(status, json.dumps(answer).encode(), "application/json", extra)
        account = None
        match = ACCESS_KEY.search(self.headers.get("Authorization", ""))
        if match:
            account = match.group(1)
        cbor_op = OPERATION_PATH.match(self.path)
        operation = self.operation(body, cbor_op)
        with lock:
            per_account = calls.setdefault(account or "", {})
            per_account[operation] = per_account.get(operation, 0) + 1
            fault = faults.get((account or "", operation))
        if fault and fault.get("delay_ms"):
            time.sleep(fault["delay_ms"] / 1000)
        elif fault:
            return self.fail(cbor_op, fault["status"], fault["code"], fault["message"])
        caller = aws_history.caller_of(
            self.headers.get("Authorization"), self.client_address[0], self.headers.get("User-Agent")
        )
        if operation in aws_history.ANSWERED and caller:
            return self.from_history(cbor_op, caller, operation, body)
        if cbor_op:
            return self.cloudwatch(cbor_op.group(2), body, account, caller)
        if operation in ("ExecuteCommand", "StartSession", "TerminateSession"):
            region = REGION.search(self.headers.get("Authorization", ""))
            region = region.group(1) if region else "us-east-1"
            request = json.loads(body or b"{}")
            if operation == "ExecuteCommand":
                status, answer = exec_tasks.execute_command(account or "", region, request)
            elif operation == "StartSession":
                status, answer = exec_tasks.start_session(account or "", region, request)
            else:
                status, answer = exec_tasks.terminate_session(request)
            if status >= 400:
                return self.fail(None, status, answer["__type"], answer["message"])
            return self.reply(
                200,
                json.dumps(answer).encode(),
                "application/x-amz-json-1.1",
                {"x-amzn-RequestId": str(uuid.uuid4())},
            )
        request = None
        if operation in LIMITS or operation in PAGED:
            request = json.loads(body or b"{}")
            field, limit = LIMITS.get(operation, (None, None))
            if field and len(request.get(field, [])) > limit:
                return self.fail(
                    None,
                    400,
                    "InvalidParameterException",
                    f"{field} can have at most {limit} items",
                )
        status, headers, answer = self.forward(self.command, self.path, body, account, self.headers)
        if caller and status == 200 and operation in aws_history.OBSERVED:
            history.observe(caller, operation, json.loads(body), json.loads(answer or b"{}"))
        if caller and status == 200 and operation in ("CreateService", "UpdateService", "DescribeServices"):
            answer = json.dumps(history.with_configuration(caller, json.loads(answer or b"{}"))).encode()
        if operation == "RunTask" and status == 200:
            exec_tasks.observe_run_task(account or "", json.loads(body or b"{}"), json.loads(answer or b"{}"))
        if operation == "DescribeTasks" and status == 200:
            answer = json.dumps(exec_tasks.describe_tasks(account or "", json.loads(answer or b"{}"))).encode()
        if operation in PAGED and status == 200:
            answer = self.paginate(PAGED[operation], request, json.loads(answer), account or "")
        with lock:
            skew = skews.get(account or "")
        if skew is not None:
            # A clock that is off: AWS's Date as seen from a machine `skew` behind.
            # (send_response_only: http.server adds a Date of its own otherwise)
            headers = [(k, v) for k, v in headers if k.lower() != "date"]
            headers.append(("Date", email.utils.formatdate(time.time() + skew, usegmt=True)))
            self.send_response_only(status)
        else:
            self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_HEADERS:
                self.send_header(k, v)
        if self.command == "HEAD":
            length = next((v for k, v in headers if k.lower() == "content-length"), "0")
            self.send_header("Content-Length", length)
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def operation(self, body, cbor_op):
        if cbor_op:
            return cbor_op.group(2)
        target = self.headers.get("X-Amz-Target")
        if target:
            return target.rsplit(".", 1)[-1]
        if body[:7] == b"Action=":
            return urllib.parse.parse_qs(body.decode()).get("Action", [""])[0]
        return self.path.split("?")[0]

    def paginate(self, field, request, answer, account):
        """Cuts moto's single page into pages of at most max_page items
        (or the account's own page size)."""
        items = answer.get(field, [])
        start = int(request.get("nextToken") or 0)
        with lock:
            max_page = page_sizes.get(account, self.max_page)
        size = min(int(request.get("maxResults") or 100), max_page)
        answer[field] = items[start : start + size]
        answer.pop("nextToken", None)
        if start + size < len(items):
            answer["nextToken"] = str(start + size)
        return json.dumps(answer).encode()

    def forward(self, method, path, body, account, incoming):
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers = {k: v for k, v in incoming.items() if k.lower() not in HOP_HEADERS}
        headers["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
        if account:
            headers["x-moto-account-id"] = account
        # ListServices/ListTasks: ask moto for everything, the proxy pages.
        if body and headers.get("X-Amz-Target", "").rsplit(".", 1)[-1] in PAGED:
            request = json.loads(body)
            request.pop("nextToken", None)
            request.pop("maxResults", None)
            body = json.dumps(request).encode()
        headers["Content-Length"] = str(len(body))
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        conn.close()
        return response.status, response.getheaders(), answer

    def from_history(self, cbor, caller, operation, body):
        if cbor:
            request = to_json_value(cbor2.loads(body)) if body else {}
        else:
            request = json.loads(body or b"{}")
        status, answer, follow_up = history.answer(caller, operation, request)
        if status >= 400:
            return self.fail(cbor, status, answer["__type"], answer["message"])
        if follow_up:
            name, follow_request = follow_up
            headers = {k: v for k, v in self.headers.items()}
            headers["X-Amz-Target"] = f"AmazonEC2ContainerServiceV20141113.{name}"
            account = caller["account"]
            status, _, moto_answer = self.forward("POST", "/", json.dumps(follow_request).encode(), account, headers)
            if status != 200:
                sys.stderr.write(f"follow-up {name} refused by moto: {moto_answer[:300]!r}\n")
        if cbor:
            payload = cbor2.dumps(to_cbor_value(answer), datetime_as_timestamp=True, timezone=datetime.timezone.utc)
            return self.reply(
                200,
                payload,
                "application/cbor",
                {"smithy-protocol": "rpc-v2-cbor", "x-amzn-RequestId": str(uuid.uuid4())},
            )
        # Like AWS, every answer carries a request id (the audit log keeps them).
        self.reply(
            200,
            json.dumps(answer).encode(),
            "application/x-amz-json-1.1",
            {"x-amzn-RequestId": str(uuid.uuid4())},
        )

    def alarm_state(self, name, account):
        """An alarm's state in moto, read before SetAlarmState changes it."""
        headers = {
            "X-Amz-Target": f"{CLOUDWATCH_TARGET}.DescribeAlarms",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": self.headers.get("Authorization", ""),
        }
        status, _, answer = self.forward(
            "POST", "/", json.dumps({"AlarmNames": [name]}).encode(), account, headers
        )
        alarms = json.loads(answer or b"{}").get("MetricAlarms", []) if status == 200 else []
        return alarms[0].get("StateValue", "INSUFFICIENT_DATA") if alarms else "INSUFFICIENT_DATA"

    def cloudwatch(self, operation, body, account, caller):
        request = to_json_value(cbor2.loads(body)) if body else {}
        old_state = None
        if operation == "SetAlarmState" and caller:
            old_state = self.alarm_state(request.get("AlarmName"), account)
        headers = {
            "X-Amz-Target": f"{CLOUDWATCH_TARGET}.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": self.headers.get("Authorization", ""),
        }
        status, _, answer = self.forward(
            "POST", "/", json.dumps(request).encode(), account, headers
        )
        try:
            decoded = json.loads(answer or b"{}")
        except ValueError:
            decoded = {"__type": "InternalFailure", "message": answer.decode(errors="replace")[:500]}
            status = 500
        if status >= 400:
            code = str(decoded.get("__type", "InternalFailure")).rsplit("#", 1)[-1]
            return self.fail(True, status, code, decoded.get("message", decoded.get("Message", "")))
        if old_state is not None:
            history.alarm_state_set(caller["account"], request.get("AlarmName"), old_state, request)
        payload = cbor2.dumps(to_cbor_value(decoded), datetime_as_timestamp=True, timezone=datetime.timezone.utc)
        self.reply(status, payload, "application/cbor", {"smithy-protocol": "rpc-v2-cbor"})

    def fail(self, cbor, status, code, message):
        if cbor:
            body = cbor2.dumps({"__type": code, "message": message})
            return self.reply(status, body, "application/cbor", {"smithy-protocol": "rpc-v2-cbor"})
        body = json.dumps({"__type": code, "message": message}).encode()
        self.reply(status, body, "application/x-amz-json-1.1", {"x-amzn-ErrorType": code})

    def control(self, body):
        parsed = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        if parsed.path == "/__flightdeck/faults" and self.command == "POST":
            fault = json.loads(body)
            with lock:
                faults[(fault["account"], fault["operation"])] = {
                    "status": int(fault.get("status", 400)),
                    "code": fault.get("code", ""),
                    "message": fault.get("message", ""),
                    "delay_ms": int(fault.get("delay_ms", 0)),
                }
            return self.reply(200, b"{}", "application/json")
        if parsed.path == "/__flightdeck/faults" and self.command == "DELETE":
            account = query.get("account", [""])[0]
            with lock:
                for key in [k for k in faults if k[0] == account]:
                    del faults[key]
            return self.reply(200, b"{}", "application/json")
        if parsed.path == "/__flightdeck/sso" and self.command == "POST":
            with lock:
                portal.configure(body)
            return self.reply(204, b"", "text/plain")
        if parsed.path == "/__flightdeck/skew" and self.command == "POST":
            skew = json.loads(body)
            with lock:
                skews[skew["account"]] = int(skew["seconds"])
            return self.reply(200, b"{}", "application/json")
        if parsed.path == "/__flightdeck/page" and self.command == "POST":
            page = json.loads(body)
            with lock:
                page_sizes[page["account"]] = int(page["max_page"])
            return self.reply(200, b"{}", "application/json")
        if parsed.path == "/__flightdeck/calls":
            account = query.get("account", [""])[0]
            with lock:
                answer = json.dumps(calls.get(account, {})).encode()
            return self.reply(200, answer, "application/json")
        self.reply(404, b"{}", "application/json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-page", type=int, default=100)
    parser.add_argument("--port-file", help="write the bound port here once listening")
    args = parser.parse_args()
    Handler.upstream = ("127.0.0.1", args.upstream_port)
    Handler.max_page = args.max_page
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"moto proxy on 127.0.0.1:{port} -> {args.upstream_port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
