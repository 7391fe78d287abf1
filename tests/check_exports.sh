#!/usr/bin/env bash
# Every plugin exports exactly one symbol, slate_plugin_entry: plugins are
# built with hidden visibility so that nothing else leaks into the process
# (and the host reaches them only through the entry). The test plugin
# "noentry" is the one built to lack it.
set -euo pipefail
status=0 checked=0
for dir in "$@"; do
	for so in "$dir"/*.so; do
		[ -e "$so" ] || continue
		name=$(basename "$so" .so)
		syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort | tr '\n' ' ')
		want="slate_plugin_entry "
		[ "$name" = noentry ] && want="not_the_entry "
		checked=$((checked + 1))
		if [ "$syms" != "$want" ]; then
			echo "FAIL $so exports: $syms"
			status=1
		fi
	done
done
[ "$checked" -gt 0 ] || { echo "FAIL no plugin found in $*"; exit 1; }
echo "$checked plugins checked: $([ $status = 0 ] && echo all export only their entry)"
exit $status
