/**
 * Picking a keyframe variant: the chosen PNG is copied into `<timeline folder>/keyframes/` (a copy,
 * so deleting variants never breaks the timeline) and set as the clip's start or end keyframe with
 * one minimal text edit (setKeyframeInText, the same edit continuity uses). The CLI writes the text
 * atomically (writeTimelineText); the extension applies it as one undoable WorkspaceEdit.
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readFile, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { StvError } from '../errors';
import { keyframeProblem } from '../keyframeImage';
import { fsError } from '../render/artifacts';
import { loadOrRefuse, setKeyframeInText, writeTimelineText } from '../takes/edit';
import { clipFields, relToTimeline } from '../takes/takes';
import type { Timeline } from '../timeline/schema';
import { resolveClip, type KeyframeEnd } from './variants';

export interface PickResult {
  /** The timeline's text with the keyframe set. */
  text: string;
  /** The copy in keyframes/, absolute and as the timeline records it. */
  keyframe: string;
  rel: string;
}

/** Puts the finished `tmp` at `final` unless a file is there (EEXIST): a hard link, else an exclusive copy. */
async function claim(tmp: string, final: string): Promise<void> {
  try {
    await link(tmp, final);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // File systems without hard links (exFAT, some network shares).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP')
      throw e;
    await copyFile(tmp, final, constants.COPYFILE_EXCL);
  }
}

/**
 * Copies `variant` into keyframes/ under its own name; the same variant picked again reuses its
 * copy (same name, same bytes), and a different file of that name is never replaced.
 */
export async function copyIntoKeyframes(timelineFile: string, variant: string): Promise<string> {
  const dir = path.join(path.dirname(timelineFile), 'keyframes');
  await mkdir(dir, { recursive: true });
  const bytes = await readFile(variant);
  const stem = path.basename(variant, path.extname(variant));
  for (let n = 0; n < 1000; n++) {
    const final = path.join(dir, `${stem}${n ? `_${n}` : ''}.png`);
    if (path.resolve(final) === path.resolve(variant)) return final;
    const tmp = path.join(dir, `.stv-${randomUUID()}.png.part`);
    try {
      await copyFile(variant, tmp, constants.COPYFILE_EXCL);
      await claim(tmp, final);
      return final;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(e, final);
      if ((await readFile(final)).equals(bytes)) return final;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
  throw new StvError('INTERNAL', `No free name for ${stem}.png in ${dir}.`);
}

/** The edited text that sets `variant` (copied into keyframes/) as the clip's start or end keyframe. */
export async function pickKeyframeText(
  timelineFile: string,
  text: string,
  timeline: Timeline,
  clipKey: string,
  which: KeyframeEnd,
  variant: string,
): Promise<PickResult> {
  const clip = resolveClip(timeline, timelineFile, clipKey);
  let bytes: Buffer;
  try {
    bytes = await readFile(variant);
  } catch (e) {
    throw new StvError(
      'KEYFRAME_MISSING',
      `Cannot read ${variant}: ${(e as Error).message}`,
      'Pick an existing variant.',
    );
  }
  const problem = keyframeProblem(bytes, variant, { width: clip.width, height: clip.height });
  if (problem) throw new StvError('INVALID_REQUEST', problem, 'Pick one of the PNG variants "keyframe" made.');
  const keyframe = await copyIntoKeyframes(timelineFile, variant);
  const rel = relToTimeline(timelineFile, keyframe);
  return { text: setKeyframeInText(text, timeline, clipFields(timeline, clip), which, rel), keyframe, rel };
}

/** `keyframe --pick FILE`: copies the variant and writes the timeline (checked, atomically). */
export async function pickKeyframe(
  timelineFile: string,
  clipKey: string,
  which: KeyframeEnd,
  variant: string,
): Promise<Omit<PickResult, 'text'>> {
  const text = await readFile(timelineFile, 'utf8');
  const r = await pickKeyframeText(timelineFile, text, loadOrRefuse(timelineFile, text), clipKey, which, variant);
  await writeTimelineText(timelineFile, r.text);
  return { keyframe: r.keyframe, rel: r.rel };
}
