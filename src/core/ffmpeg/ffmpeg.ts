/**
 * Which ffmpeg the cut uses, and running it. ffmpeg comes from a maintained package that ships it,
 * the imageio-ffmpeg wheel in the adapter's Python environment (a static build, no system install),
 * or from a path the user configured (sceneToVideo.ffmpegPath / STV_FFMPEG). Nothing is downloaded.
 * imageio-ffmpeg ships no ffprobe, so probe() reads what `ffmpeg -i` prints.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { StvError } from '../errors';

const execFileP = promisify(execFile);

export interface Ffmpeg {
  path: string;
  /** Where it came from, for health and the assembly sidecar. */
  source: 'configured' | 'STV_FFMPEG' | 'imageio-ffmpeg';
  version: string;
}

export interface LocateOptions {
  /** sceneToVideo.ffmpegPath, when set. */
  configured?: string;
  env?: NodeJS.ProcessEnv;
  /** Pythons to ask for imageio-ffmpeg, in order (pythonCandidates()). */
  pythons: string[];
}

async function versionOf(exe: string): Promise<string> {
  const { stdout } = await execFileP(exe, ['-hide_banner', '-version'], { timeout: 20_000 });
  return /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
}

export async function locateFfmpeg(opts: LocateOptions): Promise<Ffmpeg> {
  const explicit: [string | undefined, Ffmpeg['source']][] = [
    [opts.configured, 'configured'],
    [opts.env?.STV_FFMPEG, 'STV_FFMPEG'],
  ];
  for (const [p, source] of explicit) {
    if (!p) continue;
    try {
      return { path: p, source, version: await versionOf(p) };
    } catch (e) {
      throw new StvError(
        'FFMPEG_NOT_FOUND',
        `The ffmpeg at ${p} (${source}) does not run: ${(e as Error).message}`,
        "Point sceneToVideo.ffmpegPath (or STV_FFMPEG) at an ffmpeg executable, or clear it to use the adapter environment's imageio-ffmpeg.",
        { cause: e },
      );
    }
  }
  for (const py of opts.pythons) {
    if (!existsSync(py)) continue;
    try {
      const { stdout } = await execFileP(py, ['-c', 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())'], {
        timeout: 30_000,
      });
      const exe = stdout.trim();
      if (exe) return { path: exe, source: 'imageio-ffmpeg', version: await versionOf(exe) };
    } catch {
      continue; // an environment without imageio-ffmpeg: try the next one
    }
  }
  throw new StvError(
    'FFMPEG_NOT_FOUND',
    'No ffmpeg found: the adapter environment (python/.venv) with imageio-ffmpeg does not exist here, and no ffmpeg path is configured.',
    'Run scripts/bootstrap.sh (it installs imageio-ffmpeg, which ships ffmpeg), or set sceneToVideo.ffmpegPath / STV_FFMPEG to an ffmpeg executable.',
  );
}

export interface MediaInfo {
  durationSeconds: number;
  video?: { codec: string; pixFmt: string; width: number; height: number; fps: number; profile?: string };
  audio: boolean;
}

/** Reads `ffmpeg -i FILE`'s stream description (imageio-ffmpeg ships no ffprobe). */
export async function probe(ff: Ffmpeg, file: string): Promise<MediaInfo> {
  let text = '';
  try {
    await execFileP(ff.path, ['-hide_banner', '-i', file], { timeout: 30_000 });
  } catch (e) {
    // With no output file ffmpeg always exits 1, after printing what it found on stderr.
    text = String((e as { stderr?: string }).stderr ?? '');
  }
  return parseProbe(text, file);
}

/**
 * Probes many files with one ffmpeg process (`ffmpeg -i a -i b ...` describes every input before it
 * complains that there is no output): one start-up instead of one per take.
 */
export async function probeMany(ff: Ffmpeg, files: string[]): Promise<MediaInfo[]> {
  if (files.length === 0) return [];
  let text = '';
  try {
    await execFileP(ff.path, ['-hide_banner', ...files.flatMap((f) => ['-i', f])], {
      timeout: 60_000,
      maxBuffer: 16 << 20,
    });
  } catch (e) {
    text = String((e as { stderr?: string }).stderr ?? '');
  }
  const sections = text.split(/^Input #/m).slice(1);
  // ffmpeg stops at the first input it cannot open: probe from there one by one for its own message.
  if (sections.length !== files.length) return Promise.all(files.map((f) => probe(ff, f)));
  return sections.map((sec, i) => parseProbe(sec, files[i] as string));
}

export function parseProbe(text: string, file: string): MediaInfo {
  const d = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(text);
  if (!d)
    throw new StvError(
      'ASSEMBLY_FAILED',
      `${file} is not a video ffmpeg can read.`,
      'Render the shot again, or choose another take.',
    );
  const durationSeconds = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
  const v =
    /Stream #\S+: Video: (\w+)(?: \(([^)]*)\))?[^,]*, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)[^\n]*?, ([\d.]+) fps/.exec(text);
  const audio = /Stream #\S+: Audio: /.test(text);
  return {
    durationSeconds,
    ...(v
      ? {
          video: {
            codec: v[1] ?? '',
            ...(v[2] ? { profile: v[2] } : {}),
            pixFmt: v[3] ?? '',
            width: Number(v[4]),
            height: Number(v[5]),
            fps: Number(v[6]),
          },
        }
      : {}),
    audio,
  };
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Seconds of output written so far (from -progress), for progress bars. */
  onTime?: (seconds: number) => void;
}

/** Runs ffmpeg with `-progress pipe:1`; rejects with ffmpeg's last lines of stderr, or CANCELLED. */
export function runFfmpeg(ff: Ffmpeg, args: string[], opts: RunOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new StvError('CANCELLED', 'The assembly was cancelled.'));
    const child = spawn(ff.path, ['-hide_banner', '-nostdin', '-nostats', '-progress', 'pipe:1', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let buf = '';
    child.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-8000);
    });
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m) opts.onTime?.(Number(m[1]) / 1e6);
      }
    });
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(
        new StvError(
          'FFMPEG_NOT_FOUND',
          `Cannot run ${ff.path}: ${e.message}`,
          'Check sceneToVideo.ffmpegPath, or run scripts/bootstrap.sh.',
          { cause: e },
        ),
      );
    });
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted)
        return reject(new StvError('CANCELLED', 'The assembly was cancelled; nothing was written.'));
      if (code === 0) return resolve();
      const lines = err.trim().split('\n');
      // ffmpeg's cause is usually the first error line, long before its summary at the end.
      const errors = lines.filter(
        (l) =>
          /error|invalid|no such|not found|unable|cannot|failed/i.test(l) &&
          !/Terminating thread|Task finished/.test(l),
      );
      const tail = (errors.length ? errors.slice(0, 4) : lines.slice(-6)).join('\n');
      reject(
        new StvError(
          'ASSEMBLY_FAILED',
          `ffmpeg failed (exit ${code}):\n${tail}`,
          'The takes may be damaged: check them with "scene-to-video takes TIMELINE", or report the message above.',
        ),
      );
    });
  });
}
