/**
 * An image dropped on a shot in the timeline editor becomes its keyframe: an image inside the
 * timeline's folder is referred to where it is; one from elsewhere (another folder, the desktop) is
 * copied into `keyframes/` beside the timeline first, since the loader keeps keyframes inside the
 * timeline's folder (issue 14). An existing file is never overwritten: the same bytes under the
 * same name are reused, different bytes get the next free name (`sky-2.png`).
 */
import { lstat, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { imageFormatOf } from '../keyframeImage';
import { StvError } from '../errors';

/** A keyframe the editor takes by drop: larger files are refused before they are read. */
export const MAX_DROPPED_IMAGE_BYTES = 50 * 1024 * 1024;
const IMAGE_NAME = /\.(png|jpe?g|webp)$/i;

export interface ImportedKeyframe {
  /** The path to write in the timeline: relative to it, with forward slashes. */
  rel: string;
  /** True when the image was copied into keyframes/ (false: used where it is, or the same copy found). */
  copied: boolean;
}

const notImage = (name: string) =>
  new StvError(
    'INVALID_REQUEST',
    `${name} is not a PNG, JPEG or WebP image, so it cannot be a keyframe; nothing was changed.`,
    'Drop a .png, .jpg or .webp image.',
  );

function checkImage(name: string, bytes: Uint8Array): void {
  if (!IMAGE_NAME.test(name) || !imageFormatOf(bytes.subarray(0, 12))) throw notImage(name);
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

const toRel = (dir: string, file: string) => path.relative(dir, file).split(path.sep).join('/');

/**
 * Writes `bytes` as keyframes/<name> beside the timeline, or finds it there already; never replaces
 * a file (the exclusive flag makes a race with another writer fail instead of overwrite).
 */
async function placeInKeyframes(timelineDir: string, name: string, bytes: Uint8Array): Promise<ImportedKeyframe> {
  const dir = path.join(timelineDir, 'keyframes');
  await mkdir(dir, { recursive: true });
  const ext = path.extname(name);
  const stem =
    path
      .basename(name, ext)
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+/, '') || 'keyframe';
  for (let n = 1; n < 1000; n++) {
    const file = path.join(dir, `${stem}${n === 1 ? '' : `-${n}`}${ext.toLowerCase()}`);
    const existing = await readFile(file).catch(() => undefined);
    if (existing) {
      if (Buffer.compare(existing, bytes) === 0) return { rel: toRel(timelineDir, file), copied: false };
      continue;
    }
    try {
      await writeFile(file, bytes, { flag: 'wx' });
      return { rel: toRel(timelineDir, file), copied: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
  }
  throw new StvError('INVALID_REQUEST', `keyframes/ already holds 999 images named like ${name}.`, 'Rename the image.');
}

/** The keyframe path for an image file the user dropped (from the Explorer or the desktop's file manager). */
export async function importKeyframeFile(timelineFile: string, source: string): Promise<ImportedKeyframe> {
  const timelineDir = await realpath(path.dirname(path.resolve(timelineFile)));
  const info = await lstat(source).catch(() => undefined);
  if (!info?.isFile() && !(info?.isSymbolicLink() && (await stat(source)).isFile()))
    throw new StvError('INVALID_REQUEST', `${source} is not a file; nothing was changed.`, 'Drop an image file.');
  const real = await realpath(source);
  if ((await stat(real)).size > MAX_DROPPED_IMAGE_BYTES)
    throw new StvError(
      'INVALID_REQUEST',
      `${path.basename(source)} is larger than ${MAX_DROPPED_IMAGE_BYTES / 1024 / 1024} MB; nothing was changed.`,
      'Use a smaller image (a keyframe is one frame of the clip).',
    );
  const bytes = await readFile(real);
  checkImage(path.basename(source), bytes);
  if (inside(timelineDir, real)) return { rel: toRel(timelineDir, real), copied: false };
  return placeInKeyframes(timelineDir, path.basename(source), bytes);
}

/** The keyframe path for image bytes dropped without a file path (a browser drag, a file from the desktop). */
export async function importKeyframeBytes(
  timelineFile: string,
  name: string,
  bytes: Uint8Array,
): Promise<ImportedKeyframe> {
  if (bytes.byteLength > MAX_DROPPED_IMAGE_BYTES)
    throw new StvError(
      'INVALID_REQUEST',
      `${name} is too large to be a keyframe; nothing was changed.`,
      'Use a smaller image.',
    );
  const safeName = path.basename(name.replace(/\\/g, '/'));
  checkImage(safeName, bytes);
  return placeInKeyframes(await realpath(path.dirname(path.resolve(timelineFile))), safeName, bytes);
}
