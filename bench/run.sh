#!/usr/bin/env bash
# bench/run.sh - HTTP throughput/latency of slated against its own database.
#
# Starts slated on a free loopback port with a throw-away data dir (and so a
# throw-away embedded PostgreSQL cluster), seeds 1 show + 10,000 episodes,
# then measures with wrk:
#   GET /api/v1/episodes/<id>          (primary-key read)
#   GET /api/v1/episodes?limit=50      (list page)
# and with pgbench, against the same cluster, the ceiling: the same
# primary-key SELECT slated runs for GET by id, prepared, 64 clients.
# Prints a summary table and PASS/FAIL lines for the targets. The targets
# are a measurement: missing them still exits 0; anything that breaks
# (tool missing, slated dies, non-2xx responses, socket errors, failed
# transactions) exits non-zero.
#
# Environment:
#   DURATION   seconds per run (default 15)
#   EPISODES   episodes seeded (default 10000)
#   THREADS    wrk threads / pgbench jobs (default 2)
#   CONNS      wrk connections / pgbench clients (default 64)
#   BUILD      build directory (default build)
#   WRK_TIMEOUT  wrk per-request timeout (default 10s; wrk's own default
#              of 2s drops slower responses from the latency histogram)
#
# Usage: make bench     (or: bash bench/run.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DURATION=${DURATION:-15}
EPISODES=${EPISODES:-10000}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
BUILD=${BUILD:-build}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
SLATED="$BUILD/core/slated"
CONFIG="config/slate.json"
HEALTH_TIMEOUT=60

# Targets.
TARGET_RATIO=0.5 # GET by id rps >= TARGET_RATIO x pgbench tps
TARGET_P99_MS=5  # GET by id p99 < TARGET_P99_MS

die() {
	echo "bench: ERROR: $*" >&2
	exit 1
}

for v in DURATION EPISODES THREADS CONNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v=${!v}: expected a positive integer"
done

# ---- 1. tools and binary ----------------------------------------------------
missing=0
need() { # need <command> <debian package>
	if ! command -v "$1" >/dev/null 2>&1 || ! "$1" --version >/dev/null 2>&1; then
		# wrk 4.1 has no --version that exits 0; it prints usage and exits 1
		if [[ $1 == wrk ]] && command -v wrk >/dev/null 2>&1; then
			return 0
		fi
		echo "bench: '$1' is missing: install it with: apt-get install $2" >&2
		missing=1
	fi
}
need wrk wrk
need psql postgresql-client-15
need pgbench postgresql-15 # Debian ships pgbench in the server package
need curl curl
((missing == 0)) || exit 1

if [[ ! -x $SLATED ]]; then
	echo "bench: $SLATED missing: building it" >&2
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
	cmake --build "$BUILD" -j2 >&2
	[[ -x $SLATED ]] || die "build did not produce $SLATED"
fi

# ---- cleanup ----------------------------------------------------------------
TMP=""
DATA="" # slated's data dir, inside TMP; the cluster is DATA/pg
SLATED_PID=""
PG_TARGET="" # the cluster's real directory when <dir>/pg is a symlink

stop_slated() {
	[[ -n $SLATED_PID ]] || return 0
	local pid=$SLATED_PID st=0 i
	SLATED_PID=""
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 600; i++)); do # up to 60 s for a clean stop
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "bench: ERROR: slated (pid $pid) ignored SIGTERM for 60 s: SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
			st=1
		fi
	fi
	wait "$pid" 2>/dev/null || st=$?
	if ((st != 0)); then
		echo "bench: ERROR: slated exited with status $st on shutdown" >&2
	fi
	return "$st"
}

stop_stray_postmaster() {
	# slated stops its cluster on SIGTERM; if it did not (crash, SIGKILL),
	# the postmaster is still running detached: immediate-stop it.
	local dir=$1 pm i
	[[ -f $dir/postmaster.pid ]] || return 0
	pm=$(head -n1 "$dir/postmaster.pid" 2>/dev/null || true)
	[[ $pm =~ ^[0-9]+$ ]] || return 0
	kill -0 "$pm" 2>/dev/null || return 0
	echo "bench: ERROR: PostgreSQL (pid $pm) still running after slated exited: stopping it" >&2
	kill -QUIT "$pm" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pm" 2>/dev/null || return 1
		sleep 0.1
	done
	kill -KILL "$pm" 2>/dev/null || true
	return 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	stop_slated || { ((rc == 0)) && rc=1; }
	if [[ -n $TMP ]]; then
		if [[ -L $DATA/pg ]]; then
			PG_TARGET=$(readlink -f "$DATA/pg")
		fi
		if [[ -n $DATA ]]; then
			stop_stray_postmaster "${PG_TARGET:-$DATA/pg}" || { ((rc == 0)) && rc=1; }
		fi
		if ((rc != 0)) && [[ -s $TMP/slated.err ]]; then
			echo "bench: last lines of slated stderr:" >&2
			tail -n 20 "$TMP/slated.err" >&2
		fi
		# The cluster lived outside the temp dir (slated's fallback for
		# unreachable/long paths): it belongs to this run only.
		if [[ -n $PG_TARGET && -d $PG_TARGET && -f $PG_TARGET/PG_VERSION ]]; then
			rm -rf "$PG_TARGET"
		fi
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 2. start slated --------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/slate-bench.XXXXXX")
chmod 711 "$TMP" # an unprivileged cluster user must traverse it (root runs)
DATA="$TMP/data"
mkdir -m 711 "$DATA"

# Same config as shipped, bound to loopback only. PORT=0: the kernel picks
# a free port (no race) and slated prints the one it got.
if grep -q '"bind"' "$CONFIG"; then
	sed 's/"bind"[[:space:]]*:[[:space:]]*"[^"]*"/"bind": "127.0.0.1"/' \
		"$CONFIG" >"$TMP/slate.json"
else
	die "$CONFIG has no \"bind\" key: cannot restrict slated to loopback"
fi

# SLATE_RATE_LIMIT=off: the API limit (100 requests per 15 min per IP)
# would answer 429 to nearly every request of the load.
PORT=0 SLATE_DATA_DIR="$DATA" LOG_LEVEL=warn SLATE_RATE_LIMIT=off \
	"$SLATED" --config "$TMP/slate.json" >"$TMP/slated.out" 2>"$TMP/slated.err" &
SLATED_PID=$!

PORT=""
deadline=$((SECONDS + HEALTH_TIMEOUT))
while :; do
	if ! kill -0 "$SLATED_PID" 2>/dev/null; then
		wait "$SLATED_PID" 2>/dev/null && st=0 || st=$?
		SLATED_PID=""
		die "slated exited (status $st) before answering /health"
	fi
	if [[ -z $PORT ]]; then
		PORT=$(sed -n 's|.*Slate is running: http://[^:/]*:\([0-9]*\)/health.*|\1|p' \
			"$TMP/slated.out" | head -n1)
	fi
	if [[ -n $PORT ]]; then
		code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' \
			"http://127.0.0.1:$PORT/health" || true)
		[[ $code == 200 ]] && break
	fi
	((SECONDS < deadline)) || die "slated did not answer /health with 200 within ${HEALTH_TIMEOUT} s"
	sleep 0.2
done
BASE="http://127.0.0.1:$PORT"

# Every API route needs a token: a viewer account made with slatectl (the
# password on stdin), logged in once; the access token lasts an hour.
SLATECTL="$BUILD/core/slatectl"
BENCH_PW="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')!A1"
printf '%s\n' "$BENCH_PW" | SLATE_DATA_DIR="$DATA" LOG_LEVEL=warn \
	"$SLATECTL" --config "$TMP/slate.json" user add bench@localhost \
	--groups viewer >/dev/null 2>>"$TMP/slatectl.err" ||
	die "slatectl user add failed: $(tail -n 3 "$TMP/slatectl.err")"
login=$(curl -s -m 10 -X POST "$BASE/api/v1/auth/login" \
	-H 'Content-Type: application/json' \
	-d "{\"email\": \"bench@localhost\", \"password\": \"$BENCH_PW\"}")
TOKEN=$(sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$login")
[[ -n $TOKEN ]] || die "login failed: ${login:0:300}"
AUTH="Authorization: Bearer $TOKEN"

# ---- 3. seed ----------------------------------------------------------------
SOCKDIR="$DATA/pg" # the cluster's socket directory (may be a symlink)
PSQL=(psql "host=$SOCKDIR dbname=slate user=slate" -X -v ON_ERROR_STOP=1 -q -At)

"${PSQL[@]}" >/dev/null <<SQL
WITH s AS (
    INSERT INTO shows (name, description)
    VALUES ('Bench show', 'seeded by bench/run.sh') RETURNING show_id)
INSERT INTO episodes (show_id, title, episode_number, season_number, status,
                      description, duration_seconds, filming_date, tags,
                      category, metadata)
SELECT s.show_id, 'Episode ' || g, g, 1,
       (ARRAY['draft','in_production','published'])[1 + g % 3],
       'Benchmark episode number ' || g || ' of the bench show.',
       1200 + g % 600, DATE '2024-01-01' + (g % 365),
       ARRAY['bench', 'tag' || (g % 10)], 'category' || (g % 5),
       jsonb_build_object('seq', g)
FROM s, generate_series(1, $EPISODES) AS g;
ANALYZE shows;
ANALYZE episodes;
SQL

count=$("${PSQL[@]}" -c "SELECT count(*) FROM episodes WHERE deleted_at IS NULL")
[[ $count == "$EPISODES" ]] || die "seeded $count episodes, expected $EPISODES"
ID=$("${PSQL[@]}" -c "SELECT episode_id FROM episodes
	WHERE episode_number = $((EPISODES / 2 + 1)) LIMIT 1")
[[ $ID =~ ^[0-9a-f-]{36}$ ]] || die "could not pick an episode id (got '$ID')"

URL_ID="$BASE/api/v1/episodes/$ID"
URL_LIST="$BASE/api/v1/episodes?limit=50"

# Sanity: both URLs answer 200 with the expected data before loading them.
check_url() { # check_url <url> <jq-free grep pattern> <label>
	local body code
	body=$(curl -s -m 10 -H "$AUTH" -w '\n%{http_code}' "$1") || die "$3: curl failed"
	code=${body##*$'\n'}
	body=${body%$'\n'*}
	[[ $code == 200 ]] || die "$3: HTTP $code from $1: ${body:0:300}"
	grep -q -- "$2" <<<"$body" || die "$3: unexpected body from $1: ${body:0:300}"
}
check_url "$URL_ID" "\"episode_id\"[[:space:]]*:[[:space:]]*\"$ID\"" "GET by id"
check_url "$URL_LIST" '"data"' "GET list"

# ---- machine ----------------------------------------------------------------
NPROC=$(nproc)
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
echo "machine: $NPROC CPU core(s) (nproc); wrk, pgbench, slated and PostgreSQL all run on these same $NPROC core(s)"
echo "runs: ${DURATION} s each; wrk -t$THREADS -c$CONNS --timeout $WRK_TIMEOUT --latency; pgbench -c$CONNS -j$THREADS -M prepared; $EPISODES episodes seeded"
echo

# ---- 4. wrk -----------------------------------------------------------------
# to_ms <value-with-unit>: wrk prints e.g. 812.00us, 3.21ms, 1.02s, 1.50m
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (match(v, /^[0-9.]+/)) { n = substr(v, 1, RLENGTH); u = substr(v, RLENGTH + 1) }
		else { exit 1 }
		if (u == "us") f = 0.001; else if (u == "ms") f = 1; else if (u == "s") f = 1000;
		else if (u == "m") f = 60000; else if (u == "h") f = 3600000; else exit 1
		printf "%.3f", n * f }'
}

WRK_FAILED=0
run_wrk() { # run_wrk <label> <url> <prefix>: sets <prefix>_RPS, <prefix>_P99
	local label=$1 url=$2 prefix=$3 out rps p99 non2xx sockerr reqs
	out="$TMP/wrk.$prefix.txt"
	echo "== wrk: $label ($url)" >&2
	if ! wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" \
		-H "$AUTH" --latency "$url" >"$out" 2>&1; then
		cat "$out" >&2
		die "wrk failed on $label"
	fi
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	p99=$(awk '/Latency Distribution/ {d = 1} d && $1 == "99%" {print $2; exit}' "$out")
	reqs=$(awk '/requests in/ {print $1; exit}' "$out")
	non2xx=$(awk -F: '/Non-2xx or 3xx responses/ {gsub(/ /, "", $2); print $2}' "$out")
	sockerr=$(grep -E '^[[:space:]]*Socket errors:' "$out" || true)
	if [[ -z $rps || -z $p99 || -z $reqs ]]; then
		cat "$out" >&2
		die "could not parse wrk output for $label"
	fi
	if [[ -n $non2xx || -n $sockerr || $reqs == 0 ]]; then
		echo "bench: ERROR: $label: not every request got a 2xx answer:" >&2
		cat "$out" >&2
		[[ -n $non2xx ]] && echo "bench: ERROR: $label: $non2xx non-2xx/3xx responses" >&2
		[[ -n $sockerr ]] && echo "bench: ERROR: $label: $sockerr" >&2
		WRK_FAILED=1
	fi
	p99=$(to_ms "$p99") || die "bad p99 '$p99' in wrk output for $label"
	printf -v "${prefix}_RPS" '%s' "$rps"
	printf -v "${prefix}_P99" '%s' "$p99"
}

run_wrk "GET by id" "$URL_ID" ID
run_wrk "GET list limit=50" "$URL_LIST" LIST

# The daemon must still be healthy after the load.
kill -0 "$SLATED_PID" 2>/dev/null || die "slated died during the wrk runs"
check_url "$URL_ID" "\"episode_id\"[[:space:]]*:[[:space:]]*\"$ID\"" "GET by id (after load)"

# ---- 5. pgbench: the ceiling ------------------------------------------------
# The statement slated prepares for GET /api/v1/episodes/:id (entity.c
# build_sql): every visible column of the episode entity, i.e. every column
# of the table but deleted_at.
PGB="$TMP/pgbench"
mkdir "$PGB"
cat >"$PGB/pk_select.sql" <<'SQL'
SELECT json_build_object('episode_id', t.episode_id, 'show_id', t.show_id, 'title', t.title, 'episode_number', t.episode_number, 'season_number', t.season_number, 'status', t.status, 'description', t.description, 'duration_seconds', t.duration_seconds, 'filming_date', t.filming_date, 'edit_deadline', t.edit_deadline, 'publish_date', t.publish_date, 'released_at', t.released_at, 'script_text', t.script_text, 'script_file_reference', t.script_file_reference, 'trailer_reference', t.trailer_reference, 'thumbnail_reference', t.thumbnail_reference, 'tags', t.tags, 'category', t.category, 'language', t.language, 'approval_status', t.approval_status, 'created_at', t.created_at, 'updated_at', t.updated_at, 'metadata', t.metadata)::text FROM episodes t WHERE t.episode_id = :id::uuid AND t.deleted_at IS NULL;
SQL

echo "== pgbench: PK select (same cluster)" >&2
# -l: one line per transaction in pgbench_log.* in the cwd; 3rd column is
# the latency in microseconds.
if ! (cd "$PGB" && pgbench -h "$SOCKDIR" -U slate -n -M prepared \
	-c "$CONNS" -j "$THREADS" -T "$DURATION" -D id="$ID" -l \
	-f "$PGB/pk_select.sql" slate) >"$PGB/out.txt" 2>&1; then
	cat "$PGB/out.txt" >&2
	die "pgbench failed"
fi
PGB_TPS=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$PGB/out.txt")
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$PGB/out.txt")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$PGB/out.txt")
if [[ -z $PGB_TPS || -z $processed ]]; then
	cat "$PGB/out.txt" >&2
	die "could not parse pgbench output"
fi
if [[ $processed == 0 || ${failed:-0} != 0 ]]; then
	cat "$PGB/out.txt" >&2
	die "pgbench: $processed transactions processed, ${failed:-?} failed"
fi
shopt -s nullglob
logs=("$PGB"/pgbench_log.*)
shopt -u nullglob
((${#logs[@]} > 0)) || die "pgbench wrote no per-transaction log"
# Nearest-rank p99 over every transaction's latency (us -> ms).
PGB_P99=$(awk '$3 ~ /^[0-9]+$/ {print $3}' "${logs[@]}" | sort -n |
	awk '{a[NR] = $1} END {
		if (NR == 0) exit 1
		i = int(NR * 0.99); if (i < NR * 0.99) i++
		printf "%.3f", a[i] / 1000 }') || die "no latencies in the pgbench log"

# ---- 6. summary -------------------------------------------------------------
# slated must still be alive; its warnings/errors during the runs count.
kill -0 "$SLATED_PID" 2>/dev/null || die "slated died during the runs"

RATIO=$(awk -v a="$ID_RPS" -v b="$PGB_TPS" 'BEGIN {printf "%.2f", a / b}')
pass_ratio=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN {print (r >= t) ? "PASS" : "FAIL"}')
pass_p99=$(awk -v p="$ID_P99" -v t="$TARGET_P99_MS" 'BEGIN {print (p < t) ? "PASS" : "FAIL"}')

echo "Slate benchmark summary"
echo "machine: $NPROC core(s) (nproc), shared by wrk, pgbench, slated and PostgreSQL (load average before the runs: $LOADAVG)"
echo "duration: ${DURATION} s per run, $CONNS connections, $THREADS threads; $EPISODES episodes"
printf '%-36s %12s %10s\n' "" "requests/s" "p99 ms"
printf '%-36s %12.1f %10.2f\n' "GET /api/v1/episodes/:id (wrk)" "$ID_RPS" "$ID_P99"
printf '%-36s %12.1f %10.2f\n' "GET /api/v1/episodes?limit=50 (wrk)" "$LIST_RPS" "$LIST_P99"
printf '%-36s %12.1f %10.2f\n' "pgbench PK select (ceiling)" "$PGB_TPS" "$PGB_P99"
echo "ratio GET by id rps / pgbench tps: $RATIO"
echo "$pass_ratio  GET by id >= $TARGET_RATIO x pgbench tps ($RATIO x)"
echo "$pass_p99  GET by id p99 < $TARGET_P99_MS ms (${ID_P99} ms)"

nerr=$(grep -c . "$TMP/slated.err" || true)
if ((nerr > 0)); then
	echo
	echo "slated logged $nerr line(s) at warn level or above during the run (first 20):"
	head -n 20 "$TMP/slated.err"
fi

if ((WRK_FAILED)); then
	die "some HTTP requests failed (see above): the figures are not valid"
fi
exit 0
