#!/usr/bin/env python3
"""Whole-process figures of a built flightdeck binary, for BENCHMARKS.md.

Runs the binary in a real pseudo-terminal (as an operator's terminal is) and
reads the kernel's own accounting from /proc: time to the first frame, the
resident memory with a large estate, CPU and bytes written while idle. Each
figure is the median of several runs, with the spread.

    scripts/bench_process.py target/release/flightdeck [--runs N]

Only the standard library; Linux only (/proc, pty).
"""

import argparse
import json
import os
import pty
import select
import signal
import statistics
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class Cockpit:
    """The binary in a pseudo-terminal of `cols`x`rows`, with a home of its own."""

    def __init__(self, binary, args, cols=200, rows=60, env=None):
        self.home = tempfile.TemporaryDirectory()
        self.started = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update(
                {
                    "HOME": self.home.name,
                    "XDG_CONFIG_HOME": os.path.join(self.home.name, "config"),
                    "XDG_STATE_HOME": os.path.join(self.home.name, "state"),
                    "TERM": "xterm-256color",
                    "COLUMNS": str(cols),
                    "LINES": str(rows),
                }
            )
            os.environ.update(env or {})
            os.execv(binary, [binary, *args])
        self.pid, self.fd = pid, fd
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.output = bytearray()

    def read_for(self, seconds):
        """Reads what the cockpit writes for `seconds`; returns the bytes."""
        got = bytearray()
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                got += chunk
        self.output += got
        return bytes(got)

    def read_some(self, timeout):
        """Waits up to `timeout` for what the cockpit writes and returns as
        soon as a chunk came (a poll that never waits longer than needed)."""
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return b""
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return b""
        self.output += chunk
        return chunk

    def wait_for(self, needle, timeout):
        """Seconds from start until `needle` was written, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.output:
                return time.monotonic() - self.started
            ready, _, _ = select.select([self.fd], [], [], 0.005)
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    return None
        return None

    def send(self, keys):
        os.write(self.fd, keys)

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_mb(self):
        with open(f"/proc/{self.pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE / 1e6

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)
        self.home.cleanup()


def first_frame(binary, runs, args=()):
    """Seconds from exec to the header of the first frame."""
    times = []
    for _ in range(runs):
        c = Cockpit(binary, ["demo", *args])
        t = c.wait_for(b"Triage", 10)
        c.stop()
        times.append(t)
    return times


def rss_with_estate(binary, services, settle):
    """Resident memory once an estate of `services` is loaded and polled."""
    scale = ["--scale", str(services)] if services else []
    c = Cockpit(binary, ["demo", *scale])
    c.read_for(settle)
    rss = c.rss_mb()
    c.stop()
    return rss


def idle(binary, window, args=(), keys=b"", settle=15):
    """CPU share of a core and bytes written while nobody types (after
    `keys` and the first polls have settled)."""
    c = Cockpit(binary, ["demo", *args])
    c.read_for(2)
    c.send(keys)
    c.read_for(settle)
    cpu0 = c.cpu_seconds()
    written = len(c.read_for(window))
    cpu = (c.cpu_seconds() - cpu0) / window
    c.stop()
    return cpu, written


def spread(values):
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    results = {}
    ff = [t for t in first_frame(binary, args.runs) if t is not None]
    results["first_frame_ms"] = spread([t * 1000 for t in ff])
    results["rss_mb_seed_demo"] = spread(
        [rss_with_estate(binary, 0, 20) for _ in range(max(1, args.runs // 2))]
    )
    results["rss_mb_2000_services"] = spread(
        [rss_with_estate(binary, 2000, 40) for _ in range(max(1, args.runs // 2))]
    )
    ff = [t for t in first_frame(binary, args.runs, ["--scale", "2000"]) if t is not None]
    results["first_frame_ms_2000_services"] = spread([t * 1000 for t in ff])
    samples = [idle(binary, 30) for _ in range(max(1, args.runs // 2))]
    results["idle_cpu_percent"] = spread([100 * s[0] for s in samples])
    results["idle_bytes_per_second"] = spread([s[1] / 30 for s in samples])
    # The estate's own environment on screen: 1000 services polled.
    samples = [
        idle(binary, 30, ["--scale", "2000"], keys=b":estate-01\r1", settle=40)
        for _ in range(max(1, args.runs // 2))
    ]
    results["idle_cpu_percent_2000_services"] = spread([100 * s[0] for s in samples])
    results["binary_mb"] = os.path.getsize(binary) / 1e6
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
