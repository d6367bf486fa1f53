#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, in one run (not part of the tests):
#   1. in-process figures: `cargo bench --bench cockpit` (divan), without the
#      AWS SDK, which they do not touch;
#   2. the release build, timed (cold when target/release is absent);
#   3. whole-process figures of that binary: scripts/bench_process.py;
#   4. against moto with 2,000 services: `services --json` against the AWS
#      CLI, and the cockpit's resident memory:
#      scripts/bench_api.py, in a virtualenv of scripts/bench-requirements.txt
#      (made once, like the tests' own);
#   5. against moto with an organisation of 100 accounts of 20 services:
#      discovery, triage, the cockpit's first verdict, memory, idle CPU and
#      its first useful screen cold and warm: scripts/bench_accounts.py;
#   6. the `dist` profile's build (fat LTO), timed, and its binary's size.
# Takes about 50 minutes cold on 2 cores (the dist build alone is most of
# 20), 25 when warm.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

echo "== machine"
nproc
grep -m1 "model name" /proc/cpuinfo || true
rustc --version

echo "== in-process (divan)"
cargo bench --no-default-features --bench cockpit --bench memory

echo "== release build"
start=$(date +%s)
cargo build --release
echo "release build: $(( $(date +%s) - start )) s"
ls -l target/release/flightdeck

echo "== whole process"
python3 scripts/bench_process.py target/release/flightdeck --runs 5

echo "== services --json against the AWS CLI (moto)"
pins=$(sha256sum scripts/bench-requirements.txt scripts/test-requirements.txt | sha256sum | cut -c1-12)
venv="${XDG_CACHE_HOME:-$HOME/.cache}/flightdeck/bench-venv-$pins"
if [ ! -x "$venv/bin/aws" ]; then
  python3 -m venv "$venv"
  (cd scripts && "$venv/bin/pip" install --quiet -r bench-requirements.txt)
fi
"$venv/bin/python" scripts/bench_api.py target/release/flightdeck --services 2000 --runs 3

echo "== an organisation of 100 accounts (moto)"
"$venv/bin/python" scripts/bench_accounts.py target/release/flightdeck --accounts 100 --services 20 --runs 3

echo "== dist build"
start=$(date +%s)
cargo build --profile dist
echo "dist build: $(( $(date +%s) - start )) s"
ls -l target/dist/flightdeck
