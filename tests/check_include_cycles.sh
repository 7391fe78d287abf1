#!/usr/bin/env bash
# Fails when the #include lines of a tree form a cycle. A module is a .c file
# and its .h (same folder, same name): a.c including b.h and b.c including
# a.h is a cycle, since a and b then call each other. Quoted includes are
# resolved against the including file's folder, then each root given with -I.
#
#   check_include_cycles.sh [-I dir]... dir...
#
# Each dir is checked on its own (the core, then each plugin), so that a
# plugin is never tied to the core by a name they happen to share.
set -euo pipefail
roots=()
while [ $# -gt 0 ] && [ "$1" = -I ]; do
	roots+=("$(cd "$2" && pwd)")
	shift 2
done
[ $# -gt 0 ] || { echo "usage: $0 [-I dir]... dir..."; exit 2; }

status=0 checked=0
for tree in "$@"; do
	tree=$(cd "$tree" && pwd)
	edges=$(mktemp)
	while IFS= read -r -d '' file; do
		dir=$(dirname "$file")
		from=${file%.*}
		echo "$from $from" >>"$edges"
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" |
			while IFS= read -r inc; do
				for base in "$dir" "$tree" "${roots[@]}"; do
					if [ -f "$base/$inc" ]; then
						target=$(realpath -m "$base/$inc")
						case "$target" in "$tree"/*) ;; *) break ;; esac
						to=${target%.*}
						[ "$to" = "$from" ] || echo "$to $from" >>"$edges"
						break
					fi
				done
			done
	done < <(find "$tree" -name '*.[ch]' -not -path '*/test*' -print0)
	checked=$((checked + 1))
	# Strongly connected groups: modules that reach each other. Any group
	# of more than one module is a cycle; each is printed on one line.
	cycles=$(awk '
		{ if (!($1 in seen)) { seen[$1] = 1; names[++n] = $1 }
		  if (!($2 in seen)) { seen[$2] = 1; names[++n] = $2 }
		  if ($1 != $2) adj[$1] = adj[$1] " " $2 }
		function reach(src,    queue, head, tail, u, k, m, out) {
			delete mark; head = 1; tail = 1; queue[1] = src
			while (head <= tail) {
				u = queue[head++]; m = split(adj[u], out, " ")
				for (k = 1; k <= m; k++)
					if (!(out[k] in mark)) { mark[out[k]] = 1; queue[++tail] = out[k] }
			}
			for (u in mark) r[src, u] = 1
		}
		END {
			for (i = 1; i <= n; i++) reach(names[i])
			for (i = 1; i <= n; i++) {
				if (names[i] in done) continue
				line = ""
				for (j = 1; j <= n; j++)
					if (j != i && ((names[i], names[j]) in r) && ((names[j], names[i]) in r)) {
						line = line " " names[j]; done[names[j]] = 1
					}
				if (line != "") print names[i] line
			}
		}' "$edges")
	if [ -n "$cycles" ]; then
		echo "FAIL include cycles in $tree (each line: modules that include each other):"
		echo "$cycles" | sed "s|$tree/||g; s|^|  |"
		status=1
	fi
	rm -f "$edges"
done
[ $status = 0 ] && echo "$checked trees checked: no include cycle"
exit $status
