#!/usr/bin/env bash
# bench/thumbnails.sh - thumbnail sets (the seed's three sizes: 1280x720,
# 640x360, 320x180, JPEG quality 80) per second, by the thumbnails plugin's
# own code beside sharp, the seed's thumbnail library, from the same files:
#
#   image: a 24-megapixel JPEG (6000x4000, camera-like: 9 MB of detail)
#   video: a 10 s 1080p H.264 clip (2 s GOP)
#
# slate:  build/plugins/thumbnails/thumb_bench, linked with the plugin's
#         thumb_image.c and thumb_video.c: one decode per source with
#         shrink-on-load, the two smaller sizes from the largest; for the
#         clip, FFmpeg's frame search (10%, 25%... of the duration) and
#         swscale straight to 1280x720.
# sharp:  bench/sharp/thumbs.js (npm ci from the committed lock): one
#         input, clone() per size, three pipelines in parallel, sharp's
#         default concurrency, operation cache off (each set is a new file
#         in a real service). sharp reads no video: for the clip each set
#         runs `ffmpeg -ss T -i clip -frames:v 1 -f rawvideo` for the frame
#         the plugin chose and gives sharp the pixels; the ffmpeg child's
#         CPU is counted (bash `times`).
#
# Each set is made one after the other (like a job worker); per set: wall
# time, and CPU seconds of every thread (getrusage / process.cpuUsage). RUNS
# runs of SETS sets, interleaved slate/sharp so both see the same machine;
# the figures are medians over every set. Targets (issue #6): slate's wall
# time per set no more than sharp's, and at least 2x sharp's sets per
# CPU-second. Missing a target still exits 0; anything broken exits 1.
#
# Environment: RUNS (5), SETS (10), CONCURRENCY (1: the plugin's
# vips_concurrency default), BUILD (build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-5}
SETS=${SETS:-10}
CONCURRENCY=${CONCURRENCY:-1}
BUILD=${BUILD:-build}
BENCH="$BUILD/plugins/thumbnails/thumb_bench"

die() {
	echo "bench-thumbnails: ERROR: $*" >&2
	exit 1
}
for v in RUNS SETS CONCURRENCY; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v=${!v}: expected a positive integer"
done
for t in ffmpeg ffprobe node npm python3 cmake; do
	command -v $t >/dev/null || die "'$t' is missing (scripts/deps.sh installs it)"
done

if [[ ! -f $BUILD/CMakeCache.txt ]]; then
	cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
cmake --build "$BUILD" -j2 --target thumb_bench >&2 || die "cannot build thumb_bench"
grep -q 'CMAKE_BUILD_TYPE:STRING=Debug' "$BUILD/CMakeCache.txt" &&
	echo "bench-thumbnails: WARNING: $BUILD is a Debug build" >&2

# sharp >= 0.33 brings its own libvips from the npm registry
if [[ ! -f bench/sharp/node_modules/sharp/package.json ||
	bench/sharp/package-lock.json -nt bench/sharp/node_modules/.package-lock.json ]]; then
	npm ci --prefix bench/sharp --no-audit --no-fund >&2 || die "npm ci in bench/sharp failed"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/slate-bench-thumbs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "bench-thumbnails: making the media in $TMP" >&2
FF="ffmpeg -nostdin -v error -y"
$FF -f lavfi -i testsrc2=s=6000x4000 -vf noise=alls=20:allf=u -frames:v 1 \
	-q:v 2 "$TMP/photo.jpg" || die "cannot make the JPEG"
$FF -f lavfi -i testsrc2=s=1920x1080:r=25:d=10 -vf noise=alls=6:allf=t \
	-c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p "$TMP/clip.mp4" ||
	die "cannot make the clip"

# The frame the plugin picks, for sharp's ffmpeg to extract the same one.
"$BENCH" video "$TMP/clip.mp4" 0 "$CONCURRENCY" 1 >"$TMP/probe.txt" ||
	die "thumb_bench failed on the clip"
FRAME_S=$(sed -n 's/.*frame_s=\([0-9.]*\).*/\1/p' "$TMP/probe.txt")
[[ -n $FRAME_S ]] || die "thumb_bench did not say which frame it chose"
IFS=, read -r VW VH < <(ffprobe -v error -select_streams v:0 -show_entries \
	stream=width,height -of csv=p=0 "$TMP/clip.mp4")

run() { # name command...
	local name=$1
	shift
	"$@" >"$TMP/out.txt" 2>"$TMP/err.txt" || {
		cat "$TMP/err.txt" >&2
		die "$name failed"
	}
	grep '^sizes' "$TMP/out.txt" | head -n1 >"$TMP/$name.sizes"
	sed -n "s/^set [0-9]* wall_s \([0-9.]*\) cpu_s \([0-9.]*\)$/$name \1 \2/p" \
		"$TMP/out.txt" >>"$TMP/sets.txt"
}
: >"$TMP/sets.txt"
for r in $(seq 1 "$RUNS"); do
	echo "bench-thumbnails: run $r of $RUNS" >&2
	run slate_image "$BENCH" image "$TMP/photo.jpg" "$SETS" "$CONCURRENCY" 1
	run sharp_image node bench/sharp/thumbs.js image "$TMP/photo.jpg" "$SETS"
	run slate_video "$BENCH" video "$TMP/clip.mp4" "$SETS" "$CONCURRENCY" 1
	run sharp_video node bench/sharp/thumbs.js video "$TMP/clip.mp4" "$SETS" \
		"$FRAME_S" "$VW" "$VH"
done

echo
echo "== bench/thumbnails.sh: nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$RUNS runs x $SETS sets, libvips concurrency $CONCURRENCY =="
echo "photo: $(stat -c %s "$TMP/photo.jpg") bytes 6000x4000; clip: ${VW}x${VH}" \
	"10 s H.264, frame chosen at ${FRAME_S} s"
for n in slate_image sharp_image slate_video sharp_video; do
	echo "$n: $(cat "$TMP/$n.sizes")"
done
python3 - "$TMP/sets.txt" <<'PY'
import statistics, sys
sets = {}
for line in open(sys.argv[1]):
    name, wall, cpu = line.split()
    sets.setdefault(name, []).append((float(wall), float(cpu)))
med = {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
       for n, v in sets.items()}
print()
print(f"{'':14} {'wall ms/set':>12} {'CPU ms/set':>11} {'sets/s':>8} {'sets/CPU-s':>11}")
for n in ("slate_image", "sharp_image", "slate_video", "sharp_video"):
    w, c = med[n]
    print(f"{n:14} {w * 1000:12.1f} {c * 1000:11.1f} {1 / w:8.2f} {1 / c:11.2f}")
print()
for kind in ("image", "video"):
    (sw, sc), (hw, hc) = med["slate_" + kind], med["sharp_" + kind]
    wall_ok, cpu_ok = sw <= hw, hc / sc >= 2
    print(f"{kind}: wall slate/sharp {sw / hw:.2f} (target <= 1: "
          f"{'PASS' if wall_ok else 'FAIL'}); sets per CPU-second "
          f"slate/sharp {hc / sc:.2f}x (target >= 2x: {'PASS' if cpu_ok else 'FAIL'})")
PY
