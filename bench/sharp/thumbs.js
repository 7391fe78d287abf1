// thumbs.js - sharp, the seed's thumbnail library, making the seed's three
// sizes (1280x720, 640x360, 320x180: fit inside, never enlarged, alpha on
// white, EXIF-oriented, JPEG quality 80) the way a sharp user writes it:
// one input, clone() per size, the three pipelines in parallel.
//
//   node thumbs.js image FILE SETS
//   node thumbs.js video FILE SETS SECONDS WIDTH HEIGHT
//
// image: each set reads FILE. video: each set runs the ffmpeg command to
// get the frame at SECONDS as raw RGB (WIDTH x HEIGHT), then hands it to
// sharp, as the seed's Lambda would have to (sharp reads no video).
// Prints one warm-up line with the sizes, then per set:
//   set <n> wall_s <s> cpu_s <s>
// cpu_s is this process's user + system time (every thread) plus, for
// video, the ffmpeg child's (from bash's `times`).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const sharp = require('sharp');

// Each set is a new file for a real service: no cached decodes.
sharp.cache(false);

const SIZES = [
  [1280, 720],
  [640, 360],
  [320, 180],
];

function threeSizes(input) {
  return Promise.all(
    SIZES.map(([w, h]) =>
      input
        .clone()
        .rotate()
        .resize(w, h, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 80 })
        .toBuffer({ resolveWithObject: true }),
    ),
  );
}

// The frame as raw RGB, and the ffmpeg child's CPU seconds.
function ffmpegFrame(file, seconds) {
  const script =
    'ffmpeg -nostdin -v error -ss "$2" -i "$1" -frames:v 1 ' +
    '-f rawvideo -pix_fmt rgb24 - && times >&2';
  const r = spawnSync('bash', ['-c', script, 'frame', file, String(seconds)], {
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  // times: the shell's own user/sys, then its children's
  const lines = r.stderr.toString().trim().split('\n');
  const secs = (t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  };
  const [cu, cs] = lines[lines.length - 1].split(/\s+/);
  return { rgb: r.stdout, cpu: secs(cu) + secs(cs) };
}

async function oneSet(mode, file, args) {
  if (mode === 'image') return { outs: await threeSizes(sharp(file)), child: 0 };
  const [seconds, width, height] = args.map(Number);
  const { rgb, cpu } = ffmpegFrame(file, seconds);
  const input = sharp(rgb, { raw: { width, height, channels: 3 } });
  return { outs: await threeSizes(input), child: cpu };
}

async function main() {
  const [mode, file, setsArg, ...rest] = process.argv.slice(2);
  const sets = Number(setsArg);
  if (!['image', 'video'].includes(mode) || !fs.existsSync(file) || !(sets >= 0)) {
    console.error('usage: node thumbs.js image|video FILE SETS [SECONDS WIDTH HEIGHT]');
    process.exit(2);
  }
  const warm = await oneSet(mode, file, rest);
  console.log(
    'sizes ' +
      warm.outs
        .map((o, i) => `${['primary', 'medium', 'small'][i]}=${o.info.width}x${o.info.height}/${o.info.size}B`)
        .join(' ') +
      ` sharp=${sharp.versions.sharp} libvips=${sharp.versions.vips} concurrency=${sharp.concurrency()}`,
  );
  for (let n = 1; n <= sets; n++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const { child } = await oneSet(mode, file, rest);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6 + child;
    console.log(`set ${n} wall_s ${wall.toFixed(4)} cpu_s ${cpu.toFixed(4)}`);
  }
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
