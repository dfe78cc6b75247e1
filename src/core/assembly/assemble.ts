/**
 * Assembles a cut plan into one MP4 with ffmpeg: H.264, yuv420p, the film's size and rate. Takes
 * that differ are scaled to fit and padded (never stretched); cuts join clips, crossfades overlap
 * them (xfade); a soundtrack is trimmed or padded to the film's length and faded. When every take
 * already matches and every transition is a cut, the video streams are copied (no re-encode).
 * The film is written to a hidden temp file beside it and linked into place, so it never appears
 * half-written and never replaces a file; its sidecar lists each take (path, hash, in and out).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, link, rm, unlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../errors';
import { runFfmpeg, type Ffmpeg } from '../ffmpeg/ffmpeg';
import { canStreamCopy, type CutPlan } from './plan';

export const ASSEMBLY_SIDECAR_KIND = 'scene-to-video-assembly';

export interface AssembleOptions {
  /** Where the film goes; it must not exist. */
  out: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  /** Re-encode even when the takes could be copied (the benchmark's like-for-like runs). */
  forceEncode?: boolean;
  /** x264 preset: "fast" balances speed on small machines with size. */
  preset?: string;
  /** Take `<name>_1.mp4`, `_2`... when `out` exists (the default name), instead of failing. */
  uniqueName?: boolean;
}

export interface AssembleResult {
  film: string;
  sidecar: string;
  mode: 'copy' | 'encode';
  durationSeconds: number;
}

const concatLine = (file: string) => `file '${file.replace(/'/g, "'\\''")}'`;

/** The filter graph for the encode path: normalise each take, join cut runs with concat, crossfade between runs. */
export function filterGraph(plan: CutPlan): { graph: string; video: string; audio?: string } {
  const { width: W, height: H, fps: F } = plan;
  const parts: string[] = [];
  // setpts before fps: ffmpeg 7's xfade needs the constant rate that fps declares, which setpts would clear.
  plan.clips.forEach((_, i) => {
    parts.push(
      `[${i}:v]setpts=PTS-STARTPTS,scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=${F},format=yuv420p[v${i}]`,
    );
  });
  // Runs of clips joined by cuts become one stream each; crossfades join the runs.
  const runs: { labels: string[]; frames: number }[] = [];
  const fades: number[] = []; // frames of overlap before each run after the first
  plan.clips.forEach((c, i) => {
    const last = runs[runs.length - 1];
    if (i === 0 || c.transition.type === 'crossfade' || !last) {
      if (i > 0) fades.push(Math.round(c.transition.seconds * F));
      runs.push({ labels: [`[v${i}]`], frames: c.frames });
    } else {
      last.labels.push(`[v${i}]`);
      last.frames += c.frames;
    }
  });
  const runLabels = runs.map((r, k) => {
    if (r.labels.length === 1) return r.labels[0] as string;
    // concat outputs in microseconds; fps puts the run back on 1/fps, which xfade needs on both inputs.
    parts.push(`${r.labels.join('')}concat=n=${r.labels.length}:v=1:a=0,fps=${F}[r${k}]`);
    return `[r${k}]`;
  });
  let cur = runLabels[0] as string;
  let curFrames = runs[0]?.frames ?? 0;
  for (let k = 1; k < runs.length; k++) {
    const d = fades[k - 1] ?? 0;
    const out = `[x${k}]`;
    parts.push(
      `${cur}${runLabels[k]}xfade=transition=fade:duration=${(d / F).toFixed(6)}:offset=${((curFrames - d) / F).toFixed(6)}${out}`,
    );
    cur = out;
    curFrames = curFrames - d + (runs[k]?.frames ?? 0);
  }
  if (cur.startsWith('[v')) {
    // A single clip: name its output like the others.
    parts.push(`${cur}null[vout]`);
    cur = '[vout]';
  }
  const audio = soundtrackFilter(plan, plan.clips.length) ?? takesAudioFilter(plan, runs, fades);
  if (audio) parts.push(audio);
  return { graph: parts.join(';'), video: cur, ...(audio ? { audio: '[aout]' } : {}) };
}

/** True when the takes' own sound goes into the film: some take has audio and no soundtrack replaces it. */
export function keepsTakesAudio(plan: CutPlan): boolean {
  return !plan.soundtrack && plan.clips.some((c) => c.info.audio);
}

/**
 * The takes' own audio, joined like the video: each take's sound (or silence for a take without)
 * made exactly as long as the take is in the film, concatenated within a run of cuts, and
 * crossfaded (acrossfade, the same overlap as xfade) between runs.
 */
function takesAudioFilter(
  plan: CutPlan,
  runs: { labels: string[]; frames: number }[],
  fades: number[],
): string | undefined {
  if (!keepsTakesAudio(plan)) return undefined;
  const F = plan.fps;
  const parts = plan.clips.map((c, i) => {
    const d = (c.frames / F).toFixed(6);
    const src = c.info.audio
      ? `[${i}:a]asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad`
      : `anullsrc=r=48000:cl=stereo`;
    return `${src},atrim=end=${d},asetpts=PTS-STARTPTS[a${i}]`;
  });
  let k = 0;
  const runLabels = runs.map((r, j) => {
    const labels = r.labels.map(() => `[a${k++}]`);
    if (labels.length === 1) return labels[0] as string;
    parts.push(`${labels.join('')}concat=n=${labels.length}:v=0:a=1[ar${j}]`);
    return `[ar${j}]`;
  });
  let cur = runLabels[0] as string;
  for (let j = 1; j < runs.length; j++) {
    parts.push(`${cur}${runLabels[j]}acrossfade=d=${((fades[j - 1] ?? 0) / F).toFixed(6)}:c1=tri:c2=tri[ax${j}]`);
    cur = `[ax${j}]`;
  }
  parts.push(`${cur}anull[aout]`);
  return parts.join(';');
}

function soundtrackFilter(plan: CutPlan, inputIndex: number): string | undefined {
  const st = plan.soundtrack;
  if (!st) return undefined;
  const T = plan.frames / plan.fps;
  const fi = Math.min(st.fadeInSeconds, T / 2);
  const fo = Math.min(st.fadeOutSeconds, T / 2);
  const fades = [
    fi > 0 ? `afade=t=in:st=0:d=${fi.toFixed(3)}` : '',
    fo > 0 ? `afade=t=out:st=${(T - fo).toFixed(6)}:d=${fo.toFixed(3)}` : '',
  ].filter(Boolean);
  // Trim a long soundtrack and pad a short one with silence, so the sound lasts exactly as long as the film.
  return `[${inputIndex}:a]atrim=end=${T.toFixed(6)},asetpts=PTS-STARTPTS,apad=whole_dur=${T.toFixed(6)},aformat=channel_layouts=stereo${fades.length ? `,${fades.join(',')}` : ''}[aout]`;
}

/** The ffmpeg arguments for a plan (without the output file). */
export function ffmpegArgs(plan: CutPlan, mode: 'copy' | 'encode', listFile: string, preset = 'fast'): string[] {
  const st = plan.soundtrack;
  if (mode === 'copy') {
    const args = ['-f', 'concat', '-safe', '0', '-i', listFile];
    if (st)
      args.push(
        '-i',
        st.file,
        '-filter_complex',
        soundtrackFilter(plan, 1) as string,
        '-map',
        '0:v:0',
        '-map',
        '[aout]',
        '-c:a',
        'aac',
        '-b:a',
        '192k',
      );
    else args.push('-map', '0:v:0');
    return [...args, '-c:v', 'copy', '-movflags', '+faststart', '-f', 'mp4'];
  }
  const g = filterGraph(plan);
  const args: string[] = [];
  for (const c of plan.clips) args.push('-i', c.take);
  if (st) args.push('-i', st.file);
  args.push('-filter_complex', g.graph, '-map', g.video);
  if (g.audio) args.push('-map', g.audio, '-c:a', 'aac', '-b:a', '192k');
  return [
    ...args,
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-crf',
    '18',
    '-pix_fmt',
    'yuv420p',
    '-r',
    String(plan.fps),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
  ];
}

async function claim(tmp: string, final: string): Promise<void> {
  try {
    await link(tmp, final); // atomic, and fails if the name is taken
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new StvError(
        'OUTPUT_EXISTS',
        `${final} exists already; the assembly never replaces a file.`,
        'Name another file with --out, or move the old one away.',
      );
    throw new StvError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write ${final} (${code ?? (e as Error).message}).`,
      'Choose another --out folder or fix its permissions.',
      { cause: e },
    );
  }
}

export async function assemble(plan: CutPlan, ff: Ffmpeg, opts: AssembleOptions): Promise<AssembleResult> {
  const mode = !opts.forceEncode && canStreamCopy(plan) ? 'copy' : 'encode';
  const out = path.resolve(opts.out);
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = path.join(path.dirname(out), `.stv-${randomUUID()}.mp4.part`);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'stv-assemble-'));
  const total = plan.frames / plan.fps;
  try {
    const list = path.join(scratch, 'takes.txt');
    await writeFile(list, `${plan.clips.map((c) => concatLine(c.take)).join('\n')}\n`);
    await runFfmpeg(ff, ['-y', ...ffmpegArgs(plan, mode, list, opts.preset), tmp], {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onTime: (s) => opts.onProgress?.(Math.min(1, s / total)),
    });
    let film = out;
    for (let n = 1; ; n++) {
      try {
        await claim(tmp, film);
        break;
      } catch (e) {
        if (!opts.uniqueName || (e as StvError).code !== 'OUTPUT_EXISTS' || n > 999) throw e;
        film = out.replace(/(\.mp4)?$/i, `_${n}.mp4`);
      }
    }
    const sidecar = film.replace(/\.mp4$/i, '') + '.json';
    const hashes = await Promise.all(plan.clips.map((c) => c.sha256));
    const record = {
      kind: ASSEMBLY_SIDECAR_KIND,
      version: 1,
      film: path.basename(film),
      timelineFile: plan.timelineFile,
      createdAt: new Date().toISOString(),
      mode,
      ffmpeg: { path: ff.path, source: ff.source, version: ff.version },
      width: plan.width,
      height: plan.height,
      fps: plan.fps,
      frames: plan.frames,
      durationSeconds: total,
      takes: plan.clips.map((c, i) => ({
        clip: c.key,
        scene: c.sceneId,
        ...(c.shotId ? { shot: c.shotId } : {}),
        path: c.rel,
        sha256: hashes[i],
        // Source in and out points in seconds (the whole take), and where it sits in the film.
        in: 0,
        out: c.frames / plan.fps,
        recordIn: c.recordIn / plan.fps,
        recordOut: c.recordOut / plan.fps,
        transition: c.transition,
      })),
      ...(plan.soundtrack
        ? {
            soundtrack: {
              path: plan.soundtrack.rel,
              fadeInSeconds: plan.soundtrack.fadeInSeconds,
              fadeOutSeconds: plan.soundtrack.fadeOutSeconds,
            },
          }
        : {}),
    };
    const tmpJson = path.join(path.dirname(out), `.stv-${randomUUID()}.json.part`);
    try {
      await writeFile(tmpJson, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
      await claim(tmpJson, sidecar);
    } catch (e) {
      await unlink(film).catch(() => undefined); // a film without its sidecar cannot be reproduced
      throw e;
    } finally {
      await rm(tmpJson, { force: true });
    }
    opts.onProgress?.(1);
    return { film, sidecar, mode, durationSeconds: total };
  } finally {
    await rm(tmp, { force: true });
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `<folder>/films/<timeline name>_<UTC stamp>.mp4`, a name that is new. */
export function defaultFilmPath(timelineFile: string, now = new Date()): string {
  const base = path.basename(timelineFile).replace(/\.timeline\.json$|\.json$/i, '');
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '-');
  return path.join(path.dirname(timelineFile), 'films', `${base}_${stamp}.mp4`);
}
