/**
 * The cut's benchmark (issue 19), as ratios against baselines run on the same files in the same run:
 *   - 20 five-second takes joined by cuts: `scene-to-video assemble` (probe, hash, plan, stream copy,
 *     sidecar) against plain `ffmpeg -f concat -c copy`, the first time (nothing known about the takes)
 *     and again (their facts remembered beside them, src/core/assembly/takeFacts.ts);
 *   - the same takes with 0.5 s crossfades: our filter graph (normalise each take, xfade chain)
 *     against a hand-written xfade chain with the same encoder settings.
 * Small (384x224 at 24 fps) so it fits a two-core machine. Prints one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { assemble } from '../src/core/assembly/assemble';
import { planCut } from '../src/core/assembly/plan';
import { factsFile } from '../src/core/assembly/takeFacts';
import { locateFfmpeg, runFfmpeg, type Ffmpeg } from '../src/core/ffmpeg/ffmpeg';
import type { ClipTakes } from '../src/core/takes/takes';
import type { ResolvedScene } from '../src/core/timeline/resolve';
import type { Timeline } from '../src/core/timeline/schema';

const root = path.resolve(__dirname, '../..');
const venvPython = path.join(root, 'python/.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const N = 20;
const W = 384;
const H = 224;
const FPS = 24;
const FRAMES = 121;
const FADE = 0.5;
const RUNS = 3;
/** The cut pairs take a fraction of a second: more of them, so a busy shared machine moves the medians less. */
const CUT_RUNS = 15;
/** --cuts-only skips the crossfade pair (a minute of encoding on two cores) while tuning the copy path. */
const CUTS_ONLY = process.argv.includes('--cuts-only');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function clipTakes(dir: string, files: string[], crossfade: boolean): ClipTakes[] {
  return files.map((f, i) => {
    const clip: ResolvedScene = {
      id: `s${i}`,
      key: `s${i}`,
      index: i,
      title: `take ${i}`,
      prompt: '',
      width: W,
      height: H,
      fps: FPS,
      numFrames: FRAMES,
      seed: i,
      ...(crossfade && i > 0 ? { transition: { type: 'crossfade' as const, seconds: FADE } } : {}),
    };
    return {
      clip,
      location: { scene: i },
      takes: [{ path: f, rel: path.relative(dir, f) }],
      chosen: { path: f, rel: path.relative(dir, f) },
      chosenExplicitly: false,
    };
  });
}

async function main(): Promise<void> {
  const ff: Ffmpeg = await locateFfmpeg({ env: process.env, pythons: [venvPython] });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stv-assembly-bench-'));
  try {
    const files: string[] = [];
    for (let i = 0; i < N; i++) {
      const f = path.join(dir, `take${i}.mp4`);
      execFileSync(ff.path, [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=s=${W}x${H}:r=${FPS}`,
        '-frames:v',
        String(FRAMES),
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        f,
      ]);
      files.push(f);
    }
    const timeline = {
      version: 2,
      title: 'bench',
      defaults: { width: W, height: H, fps: FPS, seedPolicy: 'fixed' },
      scenes: [],
    } as unknown as Timeline;
    const timelineFile = path.join(dir, 'bench.timeline.json');
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, files.map((f) => `file '${f}'`).join('\n'));
    mkdirSync(path.join(dir, 'out'));
    let n = 0;
    const out = () => path.join(dir, 'out', `f${n++}.mp4`);

    const cuts = { ours: [] as number[], plain: [] as number[], warm: [] as number[] };
    const fades = { ours: [] as number[], hand: [] as number[] };
    // The hand-written graph: xfade straight on the inputs (they already match), same encoder settings.
    const handGraph = files
      .slice(1)
      .map(
        (_, k) =>
          `${k === 0 ? '[0:v]' : `[x${k}]`}[${k + 1}:v]xfade=transition=fade:duration=${FADE}:offset=${((k + 1) * (FRAMES / FPS - FADE)).toFixed(6)}[x${k + 1}]`,
      )
      .join(';');
    for (let r = 0; r < CUT_RUNS; r++) {
      // Alternate the order so neither side always runs on a warmer cache.
      const pair = async (a: () => Promise<number>, b: () => Promise<number>) =>
        (r % 2 === 0 ? [await a(), await b()] : [await b(), await a()].reverse()) as [number, number];
      const ours = () =>
        time(async () =>
          assemble(await planCut(timeline, timelineFile, clipTakes(dir, files, false), ff), ff, { out: out() }),
        );
      const plain = () =>
        time(() => runFfmpeg(ff, ['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-f', 'mp4', out()]));
      // First assembly of these takes (nothing remembered: probe and hash), then a re-assembly (takeFacts.ts).
      for (const f of files) rmSync(factsFile(f), { force: true });
      const [oc, pc] = await pair(ours, plain);
      // The facts are written once the hashes are done, just after the film: wait for them.
      for (let t = 0; t < 100 && !files.every((f) => existsSync(factsFile(f))); t++) await sleep(20);
      const [ow, pw] = await pair(ours, plain);
      cuts.ours.push(oc);
      cuts.plain.push(pc, pw);
      cuts.warm.push(ow);
      if (CUTS_ONLY || r >= RUNS) continue;
      const [of, hf] = await pair(
        () =>
          time(async () =>
            assemble(await planCut(timeline, timelineFile, clipTakes(dir, files, true), ff), ff, { out: out() }),
          ),
        () =>
          time(() =>
            runFfmpeg(ff, [
              ...files.flatMap((f) => ['-i', f]),
              '-filter_complex',
              handGraph,
              '-map',
              `[x${N - 1}]`,
              '-c:v',
              'libx264',
              '-preset',
              'fast',
              '-crf',
              '18',
              '-pix_fmt',
              'yuv420p',
              '-r',
              String(FPS),
              '-movflags',
              '+faststart',
              '-f',
              'mp4',
              out(),
            ]),
          ),
      );
      fades.ours.push(of);
      fades.hand.push(hf);
    }
    const r2 = (x: number) => Math.round(x * 100) / 100;
    console.log(
      JSON.stringify({
        takes: N,
        size: `${W}x${H}`,
        seconds: FRAMES / FPS,
        ffmpeg: `${ff.version} (${ff.source})`,
        cuts: {
          oursMs: Math.round(median(cuts.ours)),
          plainConcatMs: Math.round(median(cuts.plain)),
          ratio: r2(median(cuts.ours) / median(cuts.plain)),
          reassembleMs: Math.round(median(cuts.warm)),
          reassembleRatio: r2(median(cuts.warm) / median(cuts.plain)),
        },
        crossfades: {
          oursMs: Math.round(median(fades.ours)),
          handGraphMs: Math.round(median(fades.hand)),
          ratio: r2(median(fades.ours) / median(fades.hand)),
        },
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
