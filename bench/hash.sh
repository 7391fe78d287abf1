#!/usr/bin/env bash
# bench/hash.sh - SHA-256 throughput of the hash plugin's own routine
# (plugins/hash/hash_sha256.c, through build/plugins/hash/hash_bench) beside
# `openssl dgst -sha256` on the same 1 GB file (SIZE_MB) in the same run.
# The file is read once first so both hash from the page cache; each side
# runs RUNS times (3), alternating, and the medians are compared. Target:
# the plugin at least 0.9x openssl. Both digests must agree.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
SIZE_MB="${SIZE_MB:-1024}"
RUNS="${RUNS:-3}"
BENCH="$BUILD/plugins/hash/hash_bench"
die() {
	echo "bench/hash: ERROR: $*" >&2
	exit 1
}
command -v openssl >/dev/null || die "openssl is missing (Debian package openssl)"
if [[ ! -x $BENCH ]]; then
	[[ -f $BUILD/CMakeCache.txt ]] || cmake -S "$ROOT" -B "$BUILD" >/dev/null
	cmake --build "$BUILD" --target hash_bench >/dev/null || die "cannot build hash_bench"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/slate-hash-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FILE="$TMP/data.bin"
head -c "${SIZE_MB}M" /dev/urandom >"$FILE" || die "cannot write $SIZE_MB MB in $TMP"
BYTES=$(stat -c %s "$FILE")
cat "$FILE" >/dev/null # into the page cache for both sides

now() { date +%s.%N; }
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

plugin_mbs=() openssl_mbs=()
for i in $(seq 1 "$RUNS"); do
	read -r p_hex _ _ p_rate < <("$BENCH" "$FILE") || die "hash_bench failed"
	plugin_mbs+=("$p_rate")
	t0=$(now)
	o_hex=$(openssl dgst -sha256 -r "$FILE" | cut -d' ' -f1)
	t1=$(now)
	openssl_mbs+=("$(awk -v b="$BYTES" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.1f", b / 1e6 / (z - a)}')")
	[[ $p_hex == "$o_hex" ]] || die "digests differ: plugin $p_hex, openssl $o_hex"
	echo "run $i: plugin ${plugin_mbs[-1]} MB/s, openssl dgst ${openssl_mbs[-1]} MB/s"
done
P=$(printf '%s\n' "${plugin_mbs[@]}" | median)
O=$(printf '%s\n' "${openssl_mbs[@]}" | median)
RATIO=$(awk -v p="$P" -v o="$O" 'BEGIN {printf "%.2f", p / o}')
VERDICT=$(awk -v r="$RATIO" 'BEGIN {print (r >= 0.9) ? "PASS" : "FAIL"}')
echo
echo "SHA-256 of $SIZE_MB MB in page cache, median of $RUNS ($(nproc) CPUs," \
	"load $(cut -d' ' -f1-3 /proc/loadavg), $(openssl version | cut -d' ' -f1-2)); MB = 10^6 bytes:"
printf '  %-22s %10s MB/s\n' "plugin (hash_sha256.c)" "$P" "openssl dgst -sha256" "$O"
echo "  ratio plugin/openssl: ${RATIO}x (target >= 0.9x): $VERDICT"
