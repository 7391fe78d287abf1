#!/usr/bin/env bash
# bench/upload.sh - upload a large file (2 GB by default, SIZE_MB) over
# loopback to slated's local store through a signed URL, beside `cp` of the
# same file in the same run; report throughput and slated's peak RSS growth
# (VmHWM before vs after). Targets: RSS growth under 64 MB, and at least
# half of cp's throughput. Both sides include their fsync: slated fsyncs
# before it answers, so cp is followed by `sync FILE`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
SIZE_MB="${SIZE_MB:-2048}"
SLATED="$BUILD/core/slated"
SLATECTL="$BUILD/core/slatectl"
[[ -x $SLATED ]] || make -C "$ROOT" build >/dev/null

TMP=$(mktemp -d "${TMPDIR:-/tmp}/slate-upload-bench.XXXXXX")
PID=""
cleanup() {
	if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID"
		wait "$PID" || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
die() {
	echo "bench/upload: ERROR: $*" >&2
	[[ -s $TMP/slated.err ]] && tail -n 20 "$TMP/slated.err" >&2
	exit 1
}

# slated: shipped config, loopback, a free port, only the clips plugin.
python3 - "$ROOT/config/slate.json" "$TMP/slate.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["bind"] = "127.0.0.1"
c["plugins"] = {"clips": {"enabled": True}}
c.setdefault("database", {})["cluster_fsync"] = False
json.dump(c, open(sys.argv[2], "w"))
PY
DATA="$TMP/data"
PORT=0 SLATE_DATA_DIR="$DATA" LOG_LEVEL=warn SLATE_RATE_LIMIT=off \
	"$SLATED" --config "$TMP/slate.json" >"$TMP/slated.out" 2>"$TMP/slated.err" &
PID=$!
PORT=""
for _ in $(seq 1 600); do
	kill -0 "$PID" 2>/dev/null || die "slated exited before answering"
	PORT=$(sed -n 's|.*Slate is running: http://[^:/]*:\([0-9]*\)/health.*|\1|p' "$TMP/slated.out" | head -n1)
	[[ -n $PORT ]] && curl -fs -o /dev/null "http://127.0.0.1:$PORT/health" && break
	sleep 0.1
done
[[ -n $PORT ]] || die "slated did not start"
BASE="http://127.0.0.1:$PORT"

PW="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')!A1"
printf '%s\n' "$PW" | SLATE_DATA_DIR="$DATA" LOG_LEVEL=warn \
	"$SLATECTL" --config "$TMP/slate.json" user add bench@localhost \
	--groups editor >/dev/null || die "slatectl user add failed"
TOKEN=$(curl -s -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
	-d "{\"email\": \"bench@localhost\", \"password\": \"$PW\"}" |
	sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[[ -n $TOKEN ]] || die "login failed"
AUTH="Authorization: Bearer $TOKEN"
CLIP=$(curl -s -X POST "$BASE/api/v1/clips" -H "$AUTH" -H 'Content-Type: application/json' \
	-d '{"talent_source": "Lala", "file_reference": "none"}' |
	sed -n 's/.*"clip_id":"\([^"]*\)".*/\1/p')
[[ -n $CLIP ]] || die "cannot create a clip"

echo "bench/upload: making a ${SIZE_MB} MB file of random bytes in $TMP" >&2
dd if=/dev/urandom of="$TMP/file.mov" bs=1M count="$SIZE_MB" status=none
SIZE=$(stat -c %s "$TMP/file.mov")
sync

t0=$(date +%s.%N)
cp "$TMP/file.mov" "$TMP/copy.mov"
sync "$TMP/copy.mov"
t1=$(date +%s.%N)
rm -f "$TMP/copy.mov"

hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }
HWM0=$(hwm)
RSS0=$(rss)
gen=$(curl -s -X POST "$BASE/api/v1/upload/generate-url" -H "$AUTH" \
	-H 'Content-Type: application/json' \
	-d "{\"entity_type\": \"clip\", \"entity_id\": \"$CLIP\", \"kind\": \"raw_clip\", \"filename\": \"bench.mov\", \"size\": $SIZE, \"content_type\": \"video/quicktime\"}")
URL=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' <<<"$gen")
[[ -n $URL ]] || die "generate-url failed: ${gen:0:300}"
t2=$(date +%s.%N)
code=$(curl -s -o "$TMP/put.out" -w '%{http_code}' -T "$TMP/file.mov" \
	-H 'Content-Type: video/quicktime' "$URL")
t3=$(date +%s.%N)
[[ $code == 200 ]] || die "PUT answered $code: $(head -c 300 "$TMP/put.out")"
HWM1=$(hwm)

python3 - "$SIZE" "$t0" "$t1" "$t2" "$t3" "$HWM0" "$HWM1" "$RSS0" <<'PY'
import sys
size, t0, t1, t2, t3 = int(sys.argv[1]), *map(float, sys.argv[2:6])
hwm0, hwm1, rss0 = map(int, sys.argv[6:9])
mb = size / 1e6
cp_s, up_s = t1 - t0, t3 - t2
print(f"bench/upload: {size} bytes ({mb:.0f} MB), one run, {__import__('os').cpu_count()} cores")
print(f"  {'':28} {'seconds':>8} {'MB/s':>8}")
print(f"  {'cp + sync':28} {cp_s:8.2f} {mb / cp_s:8.0f}")
print(f"  {'slated PUT (signed, local)':28} {up_s:8.2f} {mb / up_s:8.0f}")
ratio = cp_s / up_s
growth = (hwm1 - rss0) / 1024  # upper bound: peak after minus RSS before
print(f"  throughput vs cp: {ratio:.2f}x (target >= 0.5)")
print(f"  slated peak RSS: VmRSS {rss0 / 1024:.1f} MB before, VmHWM {hwm1 / 1024:.1f} MB after, growth {max(growth, 0):.1f} MB (target < 64)")
PY
