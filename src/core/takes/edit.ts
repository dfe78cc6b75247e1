/**
 * Writing the cut's choices into the timeline as minimal text edits (jsonc-parser `modify`), so
 * the user's formatting and everything else stay as they were: the chosen take of a clip, and for
 * clips with continuity the start keyframe extracted from the previous clip's chosen take plus the
 * take it came from. The edited text must load before it replaces the file (temp file + rename).
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { applyEdits, modify, type JSONPath } from 'jsonc-parser';
import { StvError } from '../errors';
import { runFfmpeg, type Ffmpeg } from '../ffmpeg/ffmpeg';
import { parseTimeline, type TimelineProblem } from '../timeline/load';
import type { Timeline } from '../timeline/schema';
import { absFromTimeline, relToTimeline, timelineTakes, type ClipTakes, type TakesOptions } from './takes';

function indentOf(text: string): { insertSpaces: boolean; tabSize: number } {
  const m = /\n([ \t]+)"/.exec(text);
  if (m?.[1]?.startsWith('\t')) return { insertSpaces: false, tabSize: 1 };
  return { insertSpaces: true, tabSize: m?.[1]?.length ?? 2 };
}

/** Sets (or with undefined removes) one value, keeping the rest of the text byte for byte. */
export function setInText(text: string, p: JSONPath, value: unknown): string {
  const fmt = indentOf(text);
  return applyEdits(
    text,
    modify(text, p, value, { formattingOptions: { ...fmt, eol: text.includes('\r\n') ? '\r\n' : '\n' } }),
  );
}

function fieldPath(c: Pick<ClipTakes, 'location'>, field: string): JSONPath {
  return c.location.shot === undefined
    ? ['scenes', c.location.scene, field]
    : ['scenes', c.location.scene, 'shots', c.location.shot, field];
}

/**
 * Sets a clip's start or end keyframe in the text: `keyframes.start`/`.end` (version 2), or the
 * scene's `keyframe` of a version 1 timeline, which has no end keyframe (TIMELINE_INVALID, saying
 * to upgrade). The one place that knows where a keyframe is written (relink and pickKeyframe use it).
 */
export function setKeyframeInText(
  text: string,
  timeline: Timeline,
  c: Pick<ClipTakes, 'location'>,
  which: 'start' | 'end',
  rel: string,
): string {
  if (timeline.version === 1 && c.location.shot === undefined) {
    if (which === 'end')
      throw new StvError(
        'TIMELINE_INVALID',
        'A version 1 timeline has no end keyframes; nothing was changed.',
        'Upgrade it first ("Scene to Video: Upgrade timeline" or "scene-to-video upgrade FILE").',
      );
    return setInText(text, fieldPath(c, 'keyframe'), rel);
  }
  return setInText(text, [...fieldPath(c, 'keyframes'), which], rel);
}

/** Loads the edited text and replaces the file atomically; refuses (nothing written) if it would not load. */
export async function writeTimelineText(timelineFile: string, text: string): Promise<Timeline> {
  const loaded = parseTimeline(text.replace(/^\uFEFF/, ''), { timelineFile });
  if (!loaded.ok) {
    const first = loaded.problems.find((p: TimelineProblem) => p.severity === 'error');
    throw new StvError(
      'TIMELINE_INVALID',
      `The edited timeline would not load (${first ? `line ${first.line}: ${first.message}` : 'unknown problem'}); ${path.basename(timelineFile)} was not changed.`,
      'Fix the problem ("scene-to-video validate FILE"), then choose again.',
    );
  }
  const tmp = path.join(path.dirname(timelineFile), `.stv-${randomUUID()}.timeline.part`);
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, timelineFile);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return loaded.timeline;
}

/**
 * The last frame of `video` as a PNG in `<timeline folder>/keyframes/`, named after the clip and the
 * take, so re-choosing a take reuses its frame and a new take never overwrites an earlier one.
 */
export async function extractLastFrame(
  ff: Ffmpeg,
  video: string,
  timelineFile: string,
  clipKey: string,
): Promise<string> {
  const dir = path.join(path.dirname(timelineFile), 'keyframes');
  await mkdir(dir, { recursive: true });
  const final = path.join(
    dir,
    `${clipKey.replace(/\//g, '_')}_start_from_${path.basename(video, path.extname(video))}.png`,
  );
  const tmp = path.join(dir, `.stv-${randomUUID()}.png`);
  try {
    // -sseof decodes only the last second; -update 1 keeps overwriting one image, so the last frame stays.
    await runFfmpeg(ff, ['-sseof', '-1', '-i', video, '-an', '-update', '1', '-f', 'image2', '-c:v', 'png', tmp]);
    try {
      await link(tmp, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return final; // the same take's frame, extracted before
      await copyFile(tmp, final, constants.COPYFILE_EXCL).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
    return final;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

export interface ChooseResult {
  chosen: string;
  /** Clips whose start keyframe was (re-)extracted, with the keyframe written. */
  linked: { key: string; keyframe: string; from: string }[];
  /** Continuity links that could not be made, and why. */
  unlinked: { key: string; why: string }[];
}

export interface EditOptions extends TakesOptions {
  ffmpeg: () => Promise<Ffmpeg>;
}

/** Finds a clip by "scene" or "scene/shot", with a message listing the clips when it is unknown. */
export function findClip<C extends Pick<ClipTakes, 'clip'>>(clips: C[], key: string): C {
  const c =
    clips.find((x) => (x.clip.key ?? x.clip.id) === key) ??
    clips.find((x) => x.clip.id === key && x.clip.shotId === undefined);
  if (!c)
    throw new StvError(
      'SCENE_NOT_FOUND',
      `No clip "${key}" in the timeline.`,
      `Clips: ${clips.map((x) => x.clip.key ?? x.clip.id).join(', ')} (scene, or scene/shot).`,
    );
  return c;
}

/** A take by number in the `takes` listing (1 = newest), file name, or path. */
export function findTake(c: ClipTakes, which: string, timelineFile: string): string {
  const key = c.clip.key ?? c.clip.id;
  if (/^\d+$/.test(which)) {
    const t = c.takes[Number(which) - 1];
    if (!t)
      throw new StvError(
        'TAKE_MISSING',
        `"${key}" has ${c.takes.length} take(s); there is no take ${which}.`,
        `List them with "scene-to-video takes TIMELINE --shot ${key}".`,
      );
    return t.path;
  }
  const byName = c.takes.find((t) => path.basename(t.path) === which || t.rel === which.replace(/\\/g, '/'));
  if (byName) return byName.path;
  const abs = [path.resolve(which), absFromTimeline(timelineFile, which)].find((p) =>
    c.takes.some((t) => path.resolve(t.path) === p),
  );
  if (abs) return abs;
  throw new StvError(
    'TAKE_MISSING',
    `"${which}" is not a take of "${key}".`,
    `Its takes: ${c.takes.map((t, i) => `${i + 1} ${path.basename(t.path)}`).join(', ') || 'none yet — render it first'}.`,
  );
}

/** Re-extracts the start keyframe of every clip whose continuity is out of date, in timeline order. */
export async function relink(
  timelineFile: string,
  text: string,
  timeline: Timeline,
  opts: EditOptions,
): Promise<{ text: string; linked: ChooseResult['linked']; unlinked: ChooseResult['unlinked'] }> {
  const clips = await timelineTakes(timeline, timelineFile, opts);
  const linked: ChooseResult['linked'] = [];
  const unlinked: ChooseResult['unlinked'] = [];
  for (const [i, c] of clips.entries()) {
    if (!c.outOfDate) continue;
    const prev = clips[i - 1];
    const key = c.clip.key ?? c.clip.id;
    if (!prev?.chosen) {
      unlinked.push({ key, why: c.outOfDate });
      continue;
    }
    const frame = await extractLastFrame(await opts.ffmpeg(), prev.chosen.path, timelineFile, key);
    const rel = relToTimeline(timelineFile, frame);
    text = setKeyframeInText(text, timeline, c, 'start', rel);
    text = setInText(text, [...fieldPath(c, 'continuity'), 'take'], prev.chosen.rel);
    linked.push({ key, keyframe: rel, from: prev.chosen.rel });
  }
  return { text, linked, unlinked };
}

/** The timeline in `text`, or the refusal that says nothing was changed (the CLI's edits start here). */
export function loadOrRefuse(timelineFile: string, text: string): Timeline {
  const loaded = parseTimeline(text.replace(/^\uFEFF/, ''), { timelineFile });
  if (!loaded.ok)
    throw new StvError(
      'TIMELINE_INVALID',
      `${path.basename(timelineFile)} has problems; nothing was changed.`,
      'Run "scene-to-video validate FILE" and fix them first.',
    );
  return loaded.timeline;
}

/**
 * The timeline text after choosing a take, with stale continuity re-linked (their keyframes are
 * extracted into keyframes/, the only files written). Writes no timeline: the CLI writes the result
 * to disk, the panel applies it as an undoable WorkspaceEdit.
 */
export async function chooseTakeInText(
  timelineFile: string,
  text: string,
  clipKey: string,
  which: string,
  opts: EditOptions,
): Promise<ChooseResult & { text: string }> {
  const clips = await timelineTakes(loadOrRefuse(timelineFile, text), timelineFile, opts);
  const c = findClip(clips, clipKey);
  const rel = relToTimeline(timelineFile, findTake(c, which, timelineFile));
  const chosenText = setInText(text, fieldPath(c, 'take'), rel);
  const r = await relink(timelineFile, chosenText, loadOrRefuse(timelineFile, chosenText), opts);
  return { text: r.text, chosen: rel, linked: r.linked, unlinked: r.unlinked };
}

/**
 * The timeline text with a clip's continuity turned on (its start keyframe becomes the last frame
 * of the previous clip's chosen take, extracted now when there is one) or off (the keyframe it has
 * stays; only the link is removed, so nothing re-extracts it).
 */
export async function setContinuityInText(
  timelineFile: string,
  text: string,
  clipKey: string,
  on: boolean,
  opts: EditOptions,
): Promise<Omit<ChooseResult, 'chosen'> & { text: string }> {
  const clips = await timelineTakes(loadOrRefuse(timelineFile, text), timelineFile, opts);
  const c = findClip(clips, clipKey);
  const key = c.clip.key ?? c.clip.id;
  if (on && clips.indexOf(c) === 0)
    throw new StvError(
      'INVALID_REQUEST',
      `"${key}" is the first clip of the timeline: there is no previous clip to continue from.`,
      'Turn continuity on for a later clip.',
    );
  if (!on) return { text: setInText(text, fieldPath(c, 'continuity'), undefined), linked: [], unlinked: [] };
  if (c.continuity) return { text, linked: [], unlinked: [] };
  const linkedText = setInText(text, fieldPath(c, 'continuity'), { from: 'previous' });
  const r = await relink(timelineFile, linkedText, loadOrRefuse(timelineFile, linkedText), opts);
  return { text: r.text, linked: r.linked, unlinked: r.unlinked };
}

/** `choose`: records `take` for one clip, then re-links continuity that the choice made stale. */
export async function chooseTake(
  timelineFile: string,
  clipKey: string,
  which: string,
  opts: EditOptions,
): Promise<ChooseResult> {
  const r = await chooseTakeInText(timelineFile, await readFile(timelineFile, 'utf8'), clipKey, which, opts);
  await writeTimelineText(timelineFile, r.text);
  return { chosen: r.chosen, linked: r.linked, unlinked: r.unlinked };
}

/** `link`: re-extracts stale continuity keyframes without changing any choice. */
export async function linkContinuity(timelineFile: string, opts: EditOptions): Promise<Omit<ChooseResult, 'chosen'>> {
  const text = await readFile(timelineFile, 'utf8');
  const r = await relink(timelineFile, text, loadOrRefuse(timelineFile, text), opts);
  if (r.text !== text) await writeTimelineText(timelineFile, r.text);
  return { linked: r.linked, unlinked: r.unlinked };
}
