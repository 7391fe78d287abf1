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
# New inputs go to the scratch corpus; the committed one is only read.
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" "$src/corpus/$name" 2>&1 | tail -n 25
regress=("$src/regress/$name"/*)
if [ -e "${regress[0]}" ]; then
	"$bin" -timeout=10 "${regress[@]}" 2>&1 | tail -n 3
fi
echo "$name: no finding in ${seconds}s"
