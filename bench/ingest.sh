#!/usr/bin/env bash
# bench/ingest.sh - the watch-folder ingest (plugins/ingest): how long from
# a file's close to its clip being visible through the API, and how many
# clips per minute a burst of small files becomes.
#
# Starts slated on a throw-away data dir (embedded cluster) with the clips
# and ingest plugins watching two temporary folders (inotify), settle_ms at
# its minimum (SETTLE_MS, 0) and no job workers (processing excluded: the
# pipeline's jobs are queued, not run). Then ingest_bench
# (plugins/ingest/bench/ingest_bench.c):
#   1. latency: LAT_FILES small MP4s one at a time; for each, the close time
#      is taken in the program and the API is polled every millisecond
#      (GET /api/v1/clips?limit=1, newest first) until the clip is there;
#   2. throughput: BURST small MP4s written as fast as possible into the
#      other folder; clips per minute from the first close to the moment
#      metadata.total of GET /api/v1/clips?talent_source=Guest says all are
#      there.
# Target (issue #7): p95 under 250 ms beyond the settle time. A measurement:
# missing it still exits 0; anything that breaks exits non-zero.
#
# Environment: LAT_FILES (200), BURST (1000), SETTLE_MS (0), THREADS (2),
# BUILD (build).
# Usage: bash bench/ingest.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

LAT_FILES=${LAT_FILES:-200}
BURST=${BURST:-1000}
SETTLE_MS=${SETTLE_MS:-0}
THREADS=${THREADS:-2}
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD="$ROOT/$BUILD"
SLATED="$BUILD/core/slated"
SLATECTL="$BUILD/core/slatectl"
BENCH="$BUILD/plugins/ingest/ingest_bench"
TARGET_P95_MS=250

die() {
	echo "bench-ingest: ERROR: $*" >&2
	exit 1
}
for v in LAT_FILES BURST THREADS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v=${!v}: expected a positive integer"
done
[[ $SETTLE_MS =~ ^[0-9]+$ ]] || die "SETTLE_MS=$SETTLE_MS: expected an integer >= 0"
for t in curl ffmpeg; do
	command -v $t >/dev/null || die "'$t' is missing (apt-get install curl ffmpeg)"
done
if [[ ! -x $SLATED || ! -x $SLATECTL || ! -f $BUILD/plugins/ingest.so ||
	! -f $BUILD/plugins/clips.so || ! -x $BENCH ]]; then
	[[ -f $BUILD/CMakeCache.txt ]] || cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
	cmake --build "$BUILD" -j2 --target slated slatectl slate_plugin_clips \
		slate_plugin_ingest ingest_bench >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/slate-bench-ingest.XXXXXX")
chmod 711 "$TMP"
DATA="$TMP/data"
mkdir -m 711 "$DATA"
mkdir "$TMP/lat" "$TMP/burst"
SLATED_PID=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	if [[ -n $SLATED_PID ]] && kill -0 "$SLATED_PID" 2>/dev/null; then
		kill -TERM "$SLATED_PID"
		wait "$SLATED_PID" || rc=1
	fi
	local target=""
	[[ -L $DATA/pg ]] && target=$(readlink -f "$DATA/pg")
	((rc != 0)) && [[ -s $TMP/slated.err ]] && tail -n 20 "$TMP/slated.err" >&2
	[[ -n $target && -f $target/PG_VERSION ]] && rm -rf "$target"
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$TMP/slate.json" <<JSON
{"bind": "127.0.0.1", "port": 0, "data_dir": "$DATA",
 "plugin_dir": "$BUILD/plugins",
 "database": {"cluster_fsync": false},
 "log": {"level": "warn"},
 "rate_limit": {"enabled": false},
 "jobs": {"workers": 0},
 "plugins": {"clips": {"enabled": true},
             "ingest": {"enabled": true, "config": {
               "settle_ms": $SETTLE_MS, "threads": $THREADS,
               "folders": [{"path": "$TMP/lat", "talent_source": "Lala"},
                           {"path": "$TMP/burst", "talent_source": "Guest"}]}}}}
JSON
"$SLATED" --config "$TMP/slate.json" >"$TMP/slated.out" 2>"$TMP/slated.err" &
SLATED_PID=$!
PORT=""
for ((i = 0; i < 600; i++)); do
	kill -0 "$SLATED_PID" 2>/dev/null || die "slated exited before starting"
	PORT=$(sed -n 's|.*Slate is running: http://[^:/]*:\([0-9]*\)/health.*|\1|p' "$TMP/slated.out" | head -n1)
	[[ -n $PORT ]] && curl -fs -o /dev/null "http://127.0.0.1:$PORT/health" && break
	sleep 0.1
done
[[ -n $PORT ]] || die "slated did not start"
BASE="http://127.0.0.1:$PORT"

PW="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')!A1"
printf '%s\n' "$PW" | SLATE_DATA_DIR="$DATA" LOG_LEVEL=warn \
	"$SLATECTL" --config "$TMP/slate.json" user add bench@localhost \
	--groups viewer >/dev/null || die "slatectl user add failed"
TOKEN=$(curl -s -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
	-d "{\"email\": \"bench@localhost\", \"password\": \"$PW\"}" |
	sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[[ -n $TOKEN ]] || die "login failed"

ffmpeg -v error -f lavfi -i testsrc=duration=0.2:size=64x64:rate=10 \
	-pix_fmt yuv420p -y "$TMP/small.mp4" || die "ffmpeg failed"

echo "bench-ingest: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"settle_ms $SETTLE_MS, $THREADS ingest threads, $(stat -c %s "$TMP/small.mp4")-byte MP4s"
"$BENCH" latency "$BASE" "$TOKEN" "$TMP/lat" "$TMP/small.mp4" "$LAT_FILES" >"$TMP/lat.out" ||
	die "latency run failed"
"$BENCH" burst "$BASE" "$TOKEN" "$TMP/burst" "$TMP/small.mp4" "$BURST" Guest >"$TMP/burst.out" ||
	die "burst run failed"
val() { sed -n "s/^$1 //p" "$2"; }
P50=$(val p50_ms "$TMP/lat.out")
P95=$(val p95_ms "$TMP/lat.out")
MAX=$(val max_ms "$TMP/lat.out")
RATE=$(val clips_per_min "$TMP/burst.out")
ALL=$(val all_visible_s "$TMP/burst.out")
WRITE=$(val write_s "$TMP/burst.out")
BEYOND=$(awk -v p="$P95" -v s="$SETTLE_MS" 'BEGIN {printf "%.1f", p - s}')

echo
printf '%-44s %12s\n' "measure" "value"
printf '%-44s %12s\n' "close -> clip visible, p50 (ms)" "$P50"
printf '%-44s %12s\n' "close -> clip visible, p95 (ms)" "$P95"
printf '%-44s %12s\n' "close -> clip visible, max (ms)" "$MAX"
printf '%-44s %12s\n' "  ($LAT_FILES files, one at a time)" ""
printf '%-44s %12s\n' "p95 beyond the settle time (ms)" "$BEYOND"
printf '%-44s %12s\n' "burst: clips per minute" "$RATE"
printf '%-44s %12s\n' "  ($BURST files written in s)" "$WRITE"
printf '%-44s %12s\n' "  (first close -> all $BURST visible, s)" "$ALL"
echo
awk -v p="$BEYOND" -v t=$TARGET_P95_MS 'BEGIN { print (p < t ? "PASS" : "FAIL") ": p95 " p " ms beyond settle < " t " ms" }'
