#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS from its corpus, then replays its
# regression inputs. Exits non-zero on any finding (crash, leak, sanitizer
# report, timeout); the input that found it is kept in the build tree and
# named in the output, to be added to regress/<target>/ once fixed.
#
#   run.sh TARGET_BINARY SOURCE_DIR SECONDS
set -euo pipefail
bin=$1 src=$2 seconds=$3
name=$(basename "$bin")
work=$(dirname "$bin")/fuzz-work/$name
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
# On a finding: the sanitizer's report (from its first ERROR line) and
# libFuzzer's last words, which name the input it saved.
report() {
	grep -m1 -A40 -E 'ERROR|runtime error' "$1" || true
	tail -n 12 "$1"
}
# New inputs go to the scratch corpus; the committed one is only read.
if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" "$src/corpus/$name" >"$work/log" 2>&1; then
	report "$work/log"
	exit 1
fi
grep -E '^stat::(number_of_executed_units|new_units_added)' "$work/log"
regress=("$src/regress/$name"/*)
if [ -e "${regress[0]}" ] &&
	! "$bin" -timeout=10 "${regress[@]}" >"$work/regress.log" 2>&1; then
	report "$work/regress.log"
	exit 1
fi
echo "$name: no finding in ${seconds}s"
