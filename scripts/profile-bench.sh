#!/usr/bin/env bash
# Runs `bftledger bench` against 4 replica processes started here under `node --cpu-prof`, so each
# replica (and the bench process) leaves a V8 CPU profile in OUT/ (open them in Chrome DevTools or
# summarise them with scripts/summarise-profile.mjs).
# Usage: [CLIENTS_PER_CONNECTION=K] scripts/profile-bench.sh OUT [bench options...]   e.g. scripts/profile-bench.sh /tmp/prof --clients 40
set -euo pipefail
out=${1:?usage: profile-bench.sh OUT [bench options...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
main="$root/dist/src/cli/main.js"
dir=$(mktemp -d)
mkdir -p "$out"
node "$main" init --dir "$dir" --replicas 4 --clients 64 --clients-per-connection "${CLIENTS_PER_CONNECTION:-1}" --base-port "${BASE_PORT:-7600}" >/dev/null
pids=()
for id in 0 1 2 3; do
  UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-8} node --cpu-prof --cpu-prof-dir="$out" --cpu-prof-name="replica-$id.cpuprofile" \
    "$main" replica --dir "$dir" --id "$id" --log-level warn >"$out/replica-$id.log" 2>&1 &
  pids+=($!)
done
trap 'kill -TERM "${pids[@]}" 2>/dev/null || true; wait; rm -rf "$dir"' EXIT
sleep 2
node --cpu-prof --cpu-prof-dir="$out" --cpu-prof-name=bench.cpuprofile "$main" bench --dir "$dir" --out "$out/result.json" "$@"
