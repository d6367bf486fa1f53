#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test
# (unit, update/property, insta snapshots, CLI, pseudo-terminal, and the
# AWS provider over HTTP against moto).
#
# It installs what the tests need: a virtualenv with the pinned moto server
# and the CloudWatch translating proxy's one dependency
# (scripts/test-requirements.txt), kept in the user's cache directory and
# rebuilt when the pins change. moto and the proxy listen on free ports of
# 127.0.0.1 only and are stopped by PID when the run ends, also on failure.
# Snapshots never update here: a changed screen fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

export INSTA_UPDATE=no
export CARGO_TERM_COLOR=never

echo "== cargo fmt --check"
cargo fmt --all -- --check

# Lints: clippy with -D warnings on every target, as
# `cargo clippy --workspace --all-targets -- -D warnings` runs it, but as the
# compiler of the workspace's own crates while the tests build (what
# cargo-clippy itself sets for its `cargo check`: the driver as the
# workspace's rustc wrapper, the arguments in CLIPPY_ARGS). Every crate is
# then compiled once, linted and built, instead of checked for clippy and
# compiled again for the tests: minutes on two cores. A lint fails the build.
clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

echo "== moto (virtualenv, server, CloudWatch proxy)"
requirements=scripts/test-requirements.txt
pins=$(sha256sum "$requirements" | cut -c1-12)
venv="${XDG_CACHE_HOME:-$HOME/.cache}/flightdeck/test-venv-$pins"
if [ ! -x "$venv/bin/moto_server" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
fi

run_dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

# A free port: bind port 0, read what the kernel chose, release it.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {
    for _ in $(seq 1 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2)" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1 after 10 s" >&2
    return 1
}

moto_port=$(free_port)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$run_dir/moto.log" 2>&1 &
pids+=($!)
wait_for_port "$moto_port" || { cat "$run_dir/moto.log" >&2; exit 1; }

# Pages of at most 7 items make ECS pagination visible with the seed's services.
"$venv/bin/python" scripts/moto_proxy.py --upstream-port "$moto_port" --max-page 7 \
    --port-file "$run_dir/proxy.port" >"$run_dir/proxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    [ -s "$run_dir/proxy.port" ] && break
    sleep 0.1
done
proxy_port=$(cat "$run_dir/proxy.port")
wait_for_port "$proxy_port"
echo "moto on 127.0.0.1:$moto_port, proxy on 127.0.0.1:$proxy_port"

# The integration tests refuse to skip when this is set.
export FLIGHTDECK_TEST_ENDPOINT="http://127.0.0.1:$proxy_port"

echo "== cargo test (clippy -D warnings on every target as it builds)"
if ! cargo test --workspace --all-targets; then
    echo "-- moto log (tail)" >&2
    tail -n 40 "$run_dir/moto.log" >&2 || true
    echo "-- proxy log (tail)" >&2
    tail -n 40 "$run_dir/proxy.log" >&2 || true
    exit 1
fi
