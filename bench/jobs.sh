#!/usr/bin/env bash
# bench/jobs.sh - the job queue itself: no-op jobs claimed and completed per
# second, and enqueue-to-start latency.
#
# Starts slated on a throw-away data dir (so a throw-away embedded cluster)
# with the jobplug test processor (kind "noop") and `jobs.workers` worker
# processes, then:
#   1. throughput: inserts JOBS no-op jobs with one INSERT ... SELECT (plus
#      one NOTIFY) and waits until every one succeeded; the rate is JOBS over
#      the time from their creation to the last completion, from the rows'
#      own timestamps;
#   2. latency: pgbench inserts single jobs (INSERT + pg_notify in one
#      statement, as job_enqueue does) at RATE per second for LAT_SECONDS;
#      enqueue-to-start is started_at - created_at of each job (started_at
#      is the claim's clock_timestamp(): the handler starts right after).
# Targets (issue #6): >= 5,000 jobs/s, p50 < 5 ms. They are a measurement:
# missing them still exits 0; anything that breaks exits non-zero.
#
# Environment: JOBS (20000), WORKERS (2), BATCH (128), RATE (200),
# LAT_SECONDS (10), BUILD (build).
# Usage: make bench-jobs   (or: bash bench/jobs.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

JOBS=${JOBS:-20000}
WORKERS=${WORKERS:-2}
BATCH=${BATCH:-128} # shipped default is 32, sized for slow media jobs (see bench/README.md)
RATE=${RATE:-200}
LAT_SECONDS=${LAT_SECONDS:-10}
BUILD=${BUILD:-build}
SLATED="$BUILD/core/slated"
TARGET_RATE=5000
TARGET_P50_MS=5

die() {
	echo "bench-jobs: ERROR: $*" >&2
	exit 1
}
for v in JOBS WORKERS BATCH RATE LAT_SECONDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v=${!v}: expected a positive integer"
done
for t in psql pgbench curl; do
	command -v $t >/dev/null || die "'$t' is missing (apt-get install postgresql-15 postgresql-client-15 curl)"
done
if [[ ! -x $SLATED || ! -f $BUILD/tests/plugins/jobplug.so ]]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
	cmake --build "$BUILD" -j2 >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/slate-bench-jobs.XXXXXX")
chmod 711 "$TMP"
DATA="$TMP/data"
mkdir -m 711 "$DATA"
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
 "plugin_dir": "$ROOT/$BUILD/tests/plugins",
 "database": {"cluster_fsync": false},
 "log": {"level": "warn"},
 "plugins": {"jobplug": {"enabled": true}},
 "jobs": {"workers": $WORKERS, "batch": $BATCH}}
JSON
"$SLATED" --config "$TMP/slate.json" >"$TMP/slated.out" 2>"$TMP/slated.err" &
SLATED_PID=$!
for ((i = 0; i < 600; i++)); do
	kill -0 "$SLATED_PID" 2>/dev/null || die "slated exited before starting"
	grep -qs 'Slate is running' "$TMP/slated.out" && break
	sleep 0.1
done
grep -q 'Slate is running' "$TMP/slated.out" || die "slated did not start"
PSQL=(psql "host=$DATA/pg dbname=slate user=slate" -X -v ON_ERROR_STOP=1 -q -At)
sleep 1 # let the workers connect and LISTEN

echo "bench-jobs: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $WORKERS workers, batch $BATCH"

# ---- 1. throughput ----------------------------------------------------------
"${PSQL[@]}" -c "INSERT INTO jobs (kind, payload) SELECT 'noop', '{\"bench\": \"rate\"}' FROM generate_series(1, $JOBS); NOTIFY slate_jobs;"
deadline=$((SECONDS + 300))
while :; do
	left=$("${PSQL[@]}" -c "SELECT count(*) FROM jobs WHERE payload->>'bench' = 'rate' AND status <> 'succeeded'")
	[[ $left == 0 ]] && break
	((SECONDS < deadline)) || die "$left jobs still not done after 300 s"
	sleep 0.2
done
read -r rate span twice < <("${PSQL[@]}" -F' ' -c "
	SELECT round(count(*) / extract(epoch FROM max(finished_at) - min(created_at))),
	       round(extract(epoch FROM max(finished_at) - min(created_at))::numeric, 2),
	       count(*) FILTER (WHERE attempts <> 1)
	FROM jobs WHERE payload->>'bench' = 'rate'")
[[ $twice == 0 ]] || die "$twice jobs needed more than one attempt"

# ---- 2. enqueue-to-start latency ------------------------------------------
cat >"$TMP/enqueue.sql" <<'SQL'
WITH j AS (INSERT INTO jobs (kind, payload) VALUES ('noop', '{"bench": "lat"}') RETURNING 1) SELECT pg_notify('slate_jobs', '') FROM j;
SQL
pgbench -n -h "$DATA/pg" -U slate -c 1 -R "$RATE" -T "$LAT_SECONDS" \
	-f "$TMP/enqueue.sql" slate >"$TMP/pgbench.out" 2>&1 ||
	die "pgbench failed: $(tail -n 5 "$TMP/pgbench.out")"
sleep 1
read -r n p50 p95 p99 < <("${PSQL[@]}" -F' ' -c "
	SELECT count(*),
	       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY d))::numeric, 2),
	       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY d))::numeric, 2),
	       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY d))::numeric, 2)
	FROM (SELECT extract(epoch FROM started_at - created_at) * 1000 AS d
	      FROM jobs WHERE payload->>'bench' = 'lat' AND status = 'succeeded') x")

echo
printf '%-34s %12s\n' "measure" "value"
printf '%-34s %12s\n' "no-op jobs completed per second" "$rate"
printf '%-34s %12s\n' "  ($JOBS jobs in s)" "$span"
printf '%-34s %12s\n' "enqueue-to-start p50 (ms)" "$p50"
printf '%-34s %12s\n' "enqueue-to-start p95 (ms)" "$p95"
printf '%-34s %12s\n' "enqueue-to-start p99 (ms)" "$p99"
printf '%-34s %12s\n' "  (jobs at $RATE/s)" "$n"
echo
awk -v r="$rate" -v t=$TARGET_RATE 'BEGIN { print (r >= t ? "PASS" : "FAIL") ": " r " jobs/s >= " t }'
awk -v p="$p50" -v t=$TARGET_P50_MS 'BEGIN { print (p < t ? "PASS" : "FAIL") ": p50 " p " ms < " t " ms" }'
