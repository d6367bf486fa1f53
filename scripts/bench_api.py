#!/usr/bin/env python3
"""flightdeck against moto with a large estate, for BENCHMARKS.md:
`services --json` against the AWS CLI doing the same listing (the same
services listed and described by both, timed as a script would see it,
wall clock of the whole process), and the cockpit's resident memory with
that estate loaded (no simulation in the process: what an operator's
cockpit holds).

    python scripts/bench_api.py target/release/flightdeck [--services N] [--runs N]

The services are spread over clusters of 1000.

Run with a virtualenv's python that has moto[server], boto3 and awscli
(scripts/bench.sh makes one). It starts moto and scripts/moto_proxy.py on
free loopback ports; the proxy pages ECS lists by 100 and refuses more than
10 services a DescribeServices, as AWS does.

The AWS CLI's listing is what one writes by hand: `aws ecs list-services`
(every page, 100 a page), then `aws ecs describe-services` for each 10 ARNs,
one process per call, one after the other. flightdeck's is one process with
the counted calls of `--stats`.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ACCOUNT = "424242424242"
ACCESS_KEY = f"FDT{ACCOUNT}BENCH"
REGION = "eu-west-1"
PER_CLUSTER = 1000
SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
from bench_process import Cockpit  # noqa: E402


def clusters(services):
    """`(cluster, services in it)`, 1000 to a cluster."""
    return [
        (f"estate-{i + 1:02}", min(PER_CLUSTER, services - i * PER_CLUSTER))
        for i in range(-(-services // PER_CLUSTER))
    ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def start_moto():
    """moto and the proxy in front of it; returns (endpoint, processes)."""
    moto_port, proxy_port = free_port(), free_port()
    bindir = os.path.dirname(sys.executable)
    moto = subprocess.Popen(
        [os.path.join(bindir, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(moto_port)
    proxy = subprocess.Popen(
        [
            sys.executable,
            os.path.join(SCRIPTS, "moto_proxy.py"),
            "--upstream-port",
            str(moto_port),
            "--port",
            str(proxy_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(proxy_port)
    return f"http://127.0.0.1:{proxy_port}", [proxy, moto]


def seed(endpoint, services):
    import boto3

    ecs = boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="moto-secret",
    )
    ecs.register_task_definition(
        family="svc",
        containerDefinitions=[{"name": "app", "image": "nginx:1", "memory": 512}],
    )
    for cluster, count in clusters(services):
        ecs.create_cluster(clusterName=cluster)
        for i in range(count):
            ecs.create_service(
                cluster=cluster, serviceName=f"svc-{i:04}", taskDefinition="svc:1", desiredCount=0
            )


def home_with_profile(endpoint):
    """A home with an AWS profile for the account and a flightdeck config."""
    home = tempfile.TemporaryDirectory()
    h = home.name
    with open(os.path.join(h, "aws-config"), "w") as f:
        f.write(f"[profile bench]\nregion = {REGION}\n")
    with open(os.path.join(h, "aws-credentials"), "w") as f:
        f.write(f"[bench]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = moto-secret\n")
    os.makedirs(os.path.join(h, "config/flightdeck"))
    with open(os.path.join(h, "config/flightdeck/config.toml"), "w") as f:
        f.write('[[environment]]\nname = "bench"\nprofile = "bench"\n')
    env = {
        "PATH": os.environ["PATH"],
        "HOME": h,
        "XDG_CONFIG_HOME": os.path.join(h, "config"),
        "XDG_STATE_HOME": os.path.join(h, "state"),
        "AWS_CONFIG_FILE": os.path.join(h, "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(h, "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PROFILE": "bench",
        "AWS_ENDPOINT_URL": endpoint,
    }
    return home, env


def flightdeck_listing(binary, env):
    """Seconds, services listed and the calls counted by `--stats`."""
    start = time.perf_counter()
    done = subprocess.run(
        [binary, "services", "--json", "--stats"], env=env, capture_output=True, check=True
    )
    seconds = time.perf_counter() - start
    listed = json.loads(done.stdout)
    calls = {}
    for line in done.stderr.decode().splitlines():
        parts = line.split()
        if line.startswith("  ") and len(parts) >= 2 and parts[1].isdigit():
            calls[parts[0]] = int(parts[1])
    return seconds, count_services(listed), calls


def count_services(listed):
    """Rows of `services --json`: one object per service."""
    return sum(1 for row in listed if isinstance(row, dict) and "name" in row)


def cli_listing(env, services):
    """Seconds, services described and AWS CLI processes run."""
    bindir = os.path.dirname(sys.executable)
    aws = [os.path.join(bindir, "aws"), "--output", "json", "--region", REGION]
    start = time.perf_counter()
    described, processes = 0, 0
    for cluster, _ in clusters(services):
        listed = subprocess.run(
            [*aws, "ecs", "list-services", "--cluster", cluster, "--page-size", "100"],
            env=env,
            capture_output=True,
            check=True,
        )
        processes += 1
        arns = json.loads(listed.stdout)["serviceArns"]
        for i in range(0, len(arns), 10):
            out = subprocess.run(
                [*aws, "ecs", "describe-services", "--cluster", cluster, "--services", *arns[i : i + 10]],
                env=env,
                capture_output=True,
                check=True,
            )
            described += len(json.loads(out.stdout)["services"])
            processes += 1
    return time.perf_counter() - start, described, processes


def cockpit_at_rest(binary, env, settle, window=30):
    """The cockpit on the estate (it opens on its services): resident
    memory once they are loaded and polled, then its share of a core over
    `window` seconds while nobody types (its polls go on)."""
    c = Cockpit(binary, [], env=env)
    if c.wait_for(b"svc-0", 30) is None:
        raise SystemExit("the cockpit never showed the estate's services")
    c.read_for(settle)
    rss = c.rss_mb()
    cpu0 = c.cpu_seconds()
    c.read_for(window)
    cpu = 100 * (c.cpu_seconds() - cpu0) / window
    c.stop()
    return rss, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cli-runs", type=int, default=1)
    args = parser.parse_args()
    endpoint, processes = start_moto()
    try:
        seed(endpoint, args.services)
        home, env = home_with_profile(endpoint)
        with home:
            binary = os.path.abspath(args.binary)
            ours = [flightdeck_listing(binary, env) for _ in range(args.runs)]
            theirs = [cli_listing(env, args.services) for _ in range(args.cli_runs)]
            rest = [cockpit_at_rest(binary, env, 40) for _ in range(max(1, args.runs // 2))]
            rss = [r[0] for r in rest]
            cpu = [r[1] for r in rest]
    finally:
        for p in processes:
            p.terminate()
            p.wait()
    ours_s = statistics.median(r[0] for r in ours)
    theirs_s = statistics.median(r[0] for r in theirs)
    n = args.services
    print(
        json.dumps(
            {
                "services": n,
                "runs": args.runs,
                "cli_runs": args.cli_runs,
                "flightdeck_seconds": {"median": ours_s, "min": min(r[0] for r in ours), "max": max(r[0] for r in ours)},
                "flightdeck_services_listed": ours[0][1],
                "flightdeck_calls": ours[0][2],
                "formula": {
                    "ecs:ListServices": sum(-(-c // 100) for _, c in clusters(n)),
                    "ecs:DescribeServices": sum(-(-c // 10) for _, c in clusters(n)),
                },
                "aws_cli_seconds": {"median": theirs_s, "min": min(r[0] for r in theirs), "max": max(r[0] for r in theirs)},
                "aws_cli_services_described": theirs[0][1],
                "aws_cli_processes": theirs[0][2],
                "ratio_cli_to_flightdeck": theirs_s / ours_s,
                "cockpit_rss_mb": {"median": statistics.median(rss), "min": min(rss), "max": max(rss)},
                "cockpit_idle_cpu_percent": {"median": statistics.median(cpu), "min": min(cpu), "max": max(cpu)},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
