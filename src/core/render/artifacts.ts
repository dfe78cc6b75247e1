/**
 * Finished renders on disk: `<outputRoot>/<sceneId>/<sceneId>_<UTC stamp>_s<seed>[_n].mp4` and a
 * sidecar JSON of the same name; a shot's (timeline version 2) go one folder down,
 * `<outputRoot>/<sceneId>/<shotId>/<sceneId>_<shotId>_<UTC stamp>_s<seed>[_n].mp4`, so a scene's
 * version 1 renders stay where they were. The MP4 is copied to a hidden temp file in the destination
 * folder, checked, fsynced and then linked into place, so no partial MP4 ever appears among the
 * outputs and no earlier render is ever replaced.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { artifactTempName } from './scratch';
import { StvError } from '../errors';
import type { ProviderId, RenderRequest, RenderResult, RenderTimings, RenderWarning } from '../providers/types';

/**
 * The file operations a save uses. Injectable so tests can make the disk fill up halfway through
 * a copy, which no portable test can do to a real disk.
 */
export type ArtifactFs = Pick<
  typeof fsp,
  'copyFile' | 'link' | 'mkdir' | 'open' | 'rename' | 'rm' | 'stat' | 'unlink' | 'writeFile'
>;

export const SIDECAR_KIND = 'scene-to-video-render';
export const SIDECAR_VERSION = 1;

export interface RenderArtifact {
  videoPath: string;
  sidecarPath: string;
  sceneId: string;
  shotId?: string;
  providerId: ProviderId;
  seed: number;
  createdAt: string;
  width: number;
  height: number;
  numFrames: number;
  fps: number;
  model?: string;
  backend?: string;
  warnings: RenderWarning[];
  timings: RenderTimings;
  prompt: string;
}

export interface Sidecar extends RenderArtifact {
  kind: typeof SIDECAR_KIND;
  version: typeof SIDECAR_VERSION;
  timelineFile: string;
  request: Omit<RenderRequest, 'keyframePath'> & { keyframePath?: string };
  server: Record<string, unknown>;
}

/** Maps file-system failures to errors that say what to do. */
export function fsError(e: unknown, what: string): StvError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new StvError(
      'DISK_FULL',
      `The disk is full while writing ${what}.`,
      'Free some space; earlier renders were not touched.',
      { cause: e },
    );
  if (
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    code === 'ENOTDIR' ||
    code === 'EISDIR' ||
    code === 'EEXIST'
  )
    return new StvError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write ${what} (${code}).`,
      'Choose another output folder (fastVideo.outputDir / comfyUI.outputDir) or fix its permissions.',
      { cause: e },
    );
  if (e instanceof StvError) return e;
  return new StvError('INTERNAL', `Cannot write ${what}: ${(e as Error).message}`, undefined, { cause: e });
}

/** A UTC time as YYYYMMDD-HHMMSS, for file names that sort by time. */
export function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** An MP4 (ISO BMFF) starts with a box whose type is `ftyp`. */
export async function looksLikeMp4(file: string, fs: ArtifactFs = fsp): Promise<boolean> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(12);
    const { bytesRead } = await fh.read(buf, 0, 12, 0);
    return bytesRead === 12 && buf.toString('latin1', 4, 8) === 'ftyp';
  } finally {
    await fh.close();
  }
}

export async function fsyncFile(file: string, fs: ArtifactFs): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename durable on POSIX; directories cannot be opened for sync on Windows. */
export async function fsyncDir(dir: string, fs: ArtifactFs): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Best effort: some file systems refuse to sync a directory.
  }
}

async function exists(p: string, fs: ArtifactFs): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Claims `<base>[_n]<ext>` for `tmp` without ever replacing an existing file. A name whose sidecar
 * is still there (the user deleted only the video) is skipped too, so that sidecar survives.
 */
export async function publishUnique(
  tmp: string,
  dir: string,
  base: string,
  ext: string,
  fs: ArtifactFs,
): Promise<string> {
  for (let n = 0; n < 10_000; n++) {
    const name = n === 0 ? base : `${base}_${n}`;
    const final = path.join(dir, `${name}${ext}`);
    if (await exists(path.join(dir, `${name}.json`), fs)) continue;
    try {
      await fs.link(tmp, final); // fails with EEXIST: the claim is atomic
      await fs.unlink(tmp);
      return final;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
        // File systems without hard links (exFAT, some network shares): check, then rename.
        if (await exists(final, fs)) continue;
        await fs.rename(tmp, final);
        return final;
      }
      throw fsError(e, final);
    }
  }
  throw new StvError('INTERNAL', `No free file name for ${base}${ext} in ${dir}.`);
}

export interface SaveArtifactInput {
  outputRoot: string;
  timelineFile: string;
  providerId: ProviderId;
  request: RenderRequest;
  result: RenderResult;
  createdAt?: Date;
  fs?: ArtifactFs;
}

export async function saveArtifact(input: SaveArtifactInput): Promise<RenderArtifact> {
  const { request: req, result } = input;
  const fs = input.fs ?? fsp;
  const dir = req.shotId
    ? path.join(input.outputRoot, req.sceneId, req.shotId)
    : path.join(input.outputRoot, req.sceneId);
  const created = input.createdAt ?? new Date();
  const base = `${req.sceneId}${req.shotId ? `_${req.shotId}` : ''}_${stamp(created)}_s${result.seed}`;
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw fsError(e, `the output folder ${dir}`);
  }
  const tmp = path.join(dir, artifactTempName(randomUUID(), '.mp4')); // names its process: see scratch.ts
  let finalVideo: string | undefined;
  try {
    if (!(await looksLikeMp4(result.videoPath, fs)))
      throw new StvError(
        'BAD_RESPONSE',
        `The provider's output ${result.videoPath} is not an MP4 file.`,
        "Check the server's log; the workflow must save an MP4 (H.264).",
      );
    if (result.videoIsTemporary) {
      try {
        await fs.rename(result.videoPath, tmp);
      } catch {
        await fs.copyFile(result.videoPath, tmp, constants.COPYFILE_EXCL);
      }
    } else {
      await fs.copyFile(result.videoPath, tmp, constants.COPYFILE_EXCL);
    }
    await fsyncFile(tmp, fs);
    finalVideo = await publishUnique(tmp, dir, base, '.mp4', fs);
    const artifact: RenderArtifact = {
      videoPath: finalVideo,
      sidecarPath: finalVideo.replace(/\.mp4$/, '.json'),
      sceneId: req.sceneId,
      ...(req.shotId ? { shotId: req.shotId } : {}),
      providerId: input.providerId,
      seed: result.seed,
      createdAt: created.toISOString(),
      width: result.width,
      height: result.height,
      numFrames: result.numFrames,
      fps: result.fps,
      ...(result.model ? { model: result.model } : {}),
      ...(result.backend ? { backend: result.backend } : {}),
      warnings: result.warnings,
      timings: result.timings,
      prompt: req.prompt,
    };
    const sidecar: Sidecar = {
      kind: SIDECAR_KIND,
      version: SIDECAR_VERSION,
      ...artifact,
      timelineFile: input.timelineFile,
      request: { ...req },
      server: result.server,
    };
    await writeJsonAtomic(artifact.sidecarPath, sidecar, fs);
    await fsyncDir(dir, fs);
    return artifact;
  } catch (e) {
    await fs.rm(tmp, { force: true });
    // A video without its sidecar would be invisible to the history: remove it too.
    if (finalVideo) await fs.rm(finalVideo, { force: true });
    throw fsError(e, `the render of scene ${req.sceneId}${req.shotId ? ` shot ${req.shotId}` : ''}`);
  } finally {
    if (result.videoIsTemporary) await fs.rm(result.videoPath, { force: true });
  }
}

export async function writeJsonAtomic(file: string, data: unknown, fs: ArtifactFs = fsp): Promise<void> {
  const tmp = path.join(path.dirname(file), `.stv-${randomUUID()}.json.part`);
  try {
    await fs.writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { flag: 'wx' });
    await fsyncFile(tmp, fs);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw fsError(e, file);
  }
}
