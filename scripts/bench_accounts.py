#!/usr/bin/env python3
"""flightdeck across an organisation of many accounts, against moto, for
BENCHMARKS.md (issue 25): a management account and N member accounts of
S services each (moto answers each account from its own state), found by
`[[discover]] from = "organizations"` with a role assumed in each.

    python scripts/bench_accounts.py target/release/flightdeck [--accounts 100] [--services 20] [--runs 3]

It measures, on the release binary:
  - discovery: `envs --refresh --json` (ListAccounts), wall clock;
  - `triage --json` over every account (a role assumed in each, its
    services, alarms and costs read), wall clock and peak resident memory;
  - the cockpit in a 200x60 pseudo-terminal, read with a terminal emulator
    (pyte): the first triage verdict over all of them (the triage pane
    saying `checked N of N environments`), resident memory once settled,
    its share of a core at rest over 30 s (its polls going on);
  - the first useful screen (a member account's service rows) on a cold
    start, and on a warm start (the last known state kept by the run
    before) while every DescribeServices is held for a minute at the proxy.

Run with a virtualenv's python that has moto[server], boto3 and pyte
(scripts/bench.sh makes one). It starts moto and scripts/moto_proxy.py on
free loopback ports, as bench_api.py does.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
from bench_api import start_moto  # noqa: E402
from bench_process import Cockpit  # noqa: E402

MANAGEMENT = "700000000001"
REGION = "eu-west-1"
COLS, ROWS = 200, 60


def client(service, endpoint, account):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1" if service == "organizations" else REGION,
        aws_access_key_id=f"FDT{account}BENCH",
        aws_secret_access_key="moto-secret",
    )


def seed(endpoint, accounts, services):
    """The organisation: member accounts `member-001`... each with a
    cluster of `services` services and two alarms, one in ALARM in every
    tenth account. Returns the member account ids."""
    org = client("organizations", endpoint, MANAGEMENT)
    org.create_organization(FeatureSet="ALL")
    ids = []
    for n in range(1, accounts + 1):
        status = org.create_account(AccountName=f"member-{n:03}", Email=f"member-{n:03}@example.com")
        ids.append(status["CreateAccountStatus"]["AccountId"])
    for n, account in enumerate(ids, 1):
        ecs = client("ecs", endpoint, account)
        ecs.create_cluster(clusterName="main")
        ecs.register_task_definition(
            family="svc", containerDefinitions=[{"name": "app", "image": "nginx:1", "memory": 512}]
        )
        for i in range(services):
            ecs.create_service(
                cluster="main", serviceName=f"svc-{i:02}", taskDefinition="svc:1", desiredCount=0
            )
        cw = client("cloudwatch", endpoint, account)
        for name in ("api-5xx", "api-latency"):
            cw.put_metric_alarm(
                AlarmName=f"member-{n:03}-{name}",
                MetricName="HTTPCode_Target_5XX_Count",
                Namespace="AWS/ApplicationELB",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=10,
                ComparisonOperator="GreaterThanThreshold",
            )
        if n % 10 == 0:
            cw.set_alarm_state(
                AlarmName=f"member-{n:03}-api-5xx", StateValue="ALARM", StateReason="bench"
            )
    return ids


def home(endpoint):
    """A home whose config discovers the organisation with profile `org`."""
    h = tempfile.mkdtemp()
    with open(os.path.join(h, "aws-config"), "w") as f:
        f.write(f"[profile org]\nregion = {REGION}\n")
    with open(os.path.join(h, "aws-credentials"), "w") as f:
        f.write(f"[org]\naws_access_key_id = FDT{MANAGEMENT}BENCH\naws_secret_access_key = moto-secret\n")
    os.makedirs(os.path.join(h, "config/flightdeck"))
    with open(os.path.join(h, "config/flightdeck/config.toml"), "w") as f:
        f.write(
            "[[discover]]\n"
            'from = "organizations"\n'
            'profile = "org"\n'
            f'regions = ["{REGION}"]\n'
            'include = ["member-*"]\n'
            f'endpoint_url = "{endpoint}"\n'
        )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": h,
        "XDG_CONFIG_HOME": os.path.join(h, "config"),
        "XDG_STATE_HOME": os.path.join(h, "state"),
        "AWS_CONFIG_FILE": os.path.join(h, "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(h, "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": endpoint,
    }
    return h, env


def timed(binary, args, env):
    """Seconds, exit code, stdout and peak resident MB of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen([binary, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    # The child is reaped by communicate(); its rusage is the children's peak.
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{args} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return seconds, proc.returncode, out, peak_mb


class Screen:
    """A cockpit in a pseudo-terminal, its screen kept by pyte."""

    def __init__(self, binary, env, args=()):
        import pyte

        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.cockpit = Cockpit(binary, list(args), cols=COLS, rows=ROWS, env=env)
        self.fed = 0

    def text(self):
        out = self.cockpit.output
        self.stream.feed(bytes(out[self.fed :]))
        self.fed = len(out)
        return "\n".join(self.screen.display)

    def wait_for(self, needle, timeout):
        """Seconds from exec until the screen shows `needle`, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return time.monotonic() - self.cockpit.started
            # Back as soon as anything is written: no poll interval in
            # the figure.
            self.cockpit.read_some(deadline - time.monotonic())
        return None


    def wait_raw(self, needle, timeout, since=0):
        """Seconds from exec until `needle` is among the bytes written after
        offset `since`, or None: no terminal emulator in the figure (pyte
        takes tens of ms over a whole 200x60 frame)."""
        needle = needle.encode()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.cockpit.output[since:]:
                return time.monotonic() - self.cockpit.started
            self.cockpit.read_some(deadline - time.monotonic())
        return None


def cockpit_run(binary, env, accounts, settle, window):
    """The first triage verdict, RSS once settled, CPU at rest; then q."""
    s = Screen(binary, env)
    if s.wait_for("Tri", 30) is None:
        raise SystemExit("no first frame")
    s.cockpit.send(b"0")
    verdict = s.wait_for(f"checked {accounts} of {accounts} environments", 120)
    if verdict is None:
        raise SystemExit(f"no verdict over {accounts} environments:\n{s.text()}")
    s.cockpit.read_for(settle)
    rss = s.cockpit.rss_mb()
    cpu0 = s.cockpit.cpu_seconds()
    s.cockpit.read_for(window)
    cpu = 100 * (s.cockpit.cpu_seconds() - cpu0) / window
    s.cockpit.send(b"q")
    s.cockpit.read_for(3)
    s.cockpit.stop()
    return verdict, rss, cpu


def first_rows(binary, env, service="svc-00"):
    """Seconds from exec until the services pane shows a service row, and
    until the first frame; then the header. The key that opens the pane is
    sent as soon as the first frame shows."""
    s = Screen(binary, env)
    frame = s.wait_raw("Triage", 30)
    if frame is None:
        raise SystemExit("no first frame")
    s.cockpit.send(b"1")
    # A row is drawn over what was on screen (only changed cells are
    # written): read with the terminal emulator.
    seconds = s.wait_for(service, 90)
    header = s.text().splitlines()[0] if seconds else ""
    s.cockpit.send(b"q")
    s.cockpit.read_for(3)
    s.cockpit.stop()
    # moto answering the last run's hundred environments takes this
    # machine's cores for seconds: the next run waits them out.
    time.sleep(10)
    return seconds, header, frame


def hold(endpoint, operation, millis):
    """Holds every call of `operation` (of assumed-role credentials, which
    the proxy knows by no account) for `millis`; 0 lets them go."""
    if millis:
        body = {"account": "", "operation": operation, "delay_ms": millis}
        req = urllib.request.Request(
            f"{endpoint}/__flightdeck/faults",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(req).read()
    else:
        req = urllib.request.Request(f"{endpoint}/__flightdeck/faults?account=", method="DELETE")
        urllib.request.urlopen(req).read()


def spread(values, unit, digits=2):
    values = sorted(values)
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f} {unit}"
    return f"{med:.{digits}f} {unit} median ({values[0]:.{digits}f} to {values[-1]:.{digits}f}, {len(values)} runs)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--services", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--settle", type=float, default=20)
    ap.add_argument("--window", type=float, default=30)
    a = ap.parse_args()
    endpoint, procs = start_moto()
    try:
        t0 = time.perf_counter()
        seed(endpoint, a.accounts, a.services)
        print(f"seeded {a.accounts} accounts of {a.services} services in {time.perf_counter() - t0:.0f} s")
        h, env = home(endpoint)
        discovery = []
        for _ in range(a.runs):
            seconds, _, out, _ = timed(a.binary, ["envs", "--refresh", "--json"], env)
            found = len(json.loads(out))
            if found != a.accounts:
                raise SystemExit(f"discovered {found} environments, not {a.accounts}")
            discovery.append(seconds)
        print(f"discovery (envs --refresh): {spread(discovery, 's')}")
        triage, peaks = [], []
        for _ in range(a.runs):
            seconds, code, out, peak = timed(a.binary, ["triage", "--json"], env)
            findings = json.loads(out)
            triage.append(seconds)
            peaks.append(peak)
        print(f"triage --json over {a.accounts} accounts: {spread(triage, 's')}, exit {code}, "
              f"{len(findings) if isinstance(findings, list) else findings} findings")
        print(f"  peak RSS (the largest of the runs): {max(peaks):.1f} MB")
        verdicts, rss, cpu = [], [], []
        for _ in range(max(1, a.runs - 1)):
            # A home of its own: a cold start, no last known state.
            _, fresh = home(endpoint)
            v, r, c = cockpit_run(a.binary, fresh, a.accounts, a.settle, a.window)
            verdicts.append(v)
            rss.append(r)
            cpu.append(c)
        print(f"cockpit: first triage verdict over {a.accounts}, cold start: {spread(verdicts, 's')}")
        print(f"cockpit: RSS {a.settle:.0f} s after the verdict: {spread(rss, 'MB', 1)}")
        print(f"cockpit: CPU at rest over {a.window:.0f} s: {spread(cpu, '%')}")
        # Cold: no last known state. Warm: the state that cold run kept,
        # every DescribeServices held for a minute.
        _, cold_env = home(endpoint)
        cold = first_rows(a.binary, cold_env)
        print(f"first useful screen, cold start: {cold[0]:.3f} s")
        env = cold_env
        hold(endpoint, "DescribeServices", 60_000)
        try:
            warm = [first_rows(a.binary, env) for _ in range(a.runs)]
        finally:
            hold(endpoint, "DescribeServices", 0)
        seconds = [w[0] for w in warm if w[0] is not None]
        if len(seconds) != len(warm):
            raise SystemExit("a warm start showed no service row")
        print(f"first useful screen, warm start, DescribeServices held 60 s: "
              f"{spread([s * 1000 for s in seconds], 'ms', 1)}; header: {warm[-1][1].strip()[:100]}")
        print(f"  its first frame (the header): {spread([w[2] * 1000 for w in warm], 'ms', 1)}")
    finally:
        for p in procs:
            p.terminate()


if __name__ == "__main__":
    main()
