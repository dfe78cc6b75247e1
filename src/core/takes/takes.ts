/**
 * Takes: every successful render of a clip (an MP4 with its sidecar) is a take of it. The chosen
 * take is written in the timeline (`take`, relative to the timeline file); without one the newest
 * take counts. A clip with `continuity` starts on the last frame of the previous clip's chosen take;
 * the timeline records which take that frame came from, so a newer take of the previous clip (a
 * re-render, or another choice) shows the later clip as out of date.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { listRenders } from '../render/history';
import type { RenderArtifact } from '../render/artifacts';
import type { Continuity } from '../timeline/cut';
import { migrateToV2 } from '../timeline/migrate';
import { resolveScenes, type ResolvedScene, type SceneFallbacks } from '../timeline/resolve';
import type { Timeline } from '../timeline/schema';

export interface Take {
  /** Absolute path of the MP4. */
  path: string;
  /** The path as the timeline records it: relative to the timeline file, with forward slashes. */
  rel: string;
  /** Its sidecar, for takes under the renders folder (a chosen file elsewhere has none). */
  artifact?: RenderArtifact;
}

export interface ClipTakes {
  clip: ResolvedScene;
  /** scenes[i] and, for a shot, shots[j]: where its fields sit in the file. */
  location: { scene: number; shot?: number };
  /** Newest first. */
  takes: Take[];
  /** The chosen take, else the newest; undefined when there is none (or the chosen file is gone). */
  chosen?: Take;
  chosenExplicitly: boolean;
  /** The `take` the timeline names when its file is gone. */
  missing?: string;
  continuity?: Continuity;
  /** Why this clip's start keyframe no longer matches the previous clip's chosen take. */
  outOfDate?: string;
}

/** Path relative to the timeline file, always with "/" so the file reads the same on every OS. */
export function relToTimeline(timelineFile: string, abs: string): string {
  return path.relative(path.dirname(timelineFile), abs).split(path.sep).join('/');
}

export function absFromTimeline(timelineFile: string, rel: string): string {
  return path.resolve(path.dirname(timelineFile), rel.replace(/\\/g, '/'));
}

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Where a clip's own fields are: the shot object, or the scene for a scene without shots. */
export function clipFields(
  timeline: Timeline,
  clip: ResolvedScene,
): { take?: string; continuity?: Continuity; location: ClipTakes['location'] } {
  const t = migrateToV2(timeline);
  const i = t.scenes.findIndex((s) => s.id === clip.id);
  const scene = t.scenes[i];
  if (clip.shotId === undefined || !scene?.shots) return { ...pick(scene), location: { scene: i } };
  const j = scene.shots.findIndex((s) => s.id === clip.shotId);
  return { ...pick(scene.shots[j]), location: { scene: i, shot: j } };
}

function pick(o: { take?: string | undefined; continuity?: Continuity | undefined } | undefined): {
  take?: string;
  continuity?: Continuity;
} {
  return { ...(o?.take ? { take: o.take } : {}), ...(o?.continuity ? { continuity: o.continuity } : {}) };
}

export interface TakesOptions {
  /** The renders folder (absolute): the provider's outputDir beside the timeline. */
  outputRoot: string;
  /**
   * Other folders this timeline's renders may be in (absolute): another provider's outputDir, when
   * the two differ. A take is a render of the clip, whichever provider made it.
   */
  moreRoots?: readonly string[];
  fallbacks?: SceneFallbacks;
}

/** A scene's renders in every folder, newest first. */
async function sceneRenders(roots: readonly string[], sceneId: string): Promise<RenderArtifact[]> {
  const lists = await Promise.all([...new Set(roots)].map((root) => listRenders(root, sceneId)));
  return lists.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.videoPath.localeCompare(a.videoPath));
}

/** Every clip of the timeline, in order, with its takes and which one counts. */
export async function timelineTakes(
  timeline: Timeline,
  timelineFile: string,
  opts: TakesOptions,
): Promise<ClipTakes[]> {
  const clips = resolveScenes(timeline, timelineFile, opts.fallbacks ?? {});
  const byScene = new Map<string, RenderArtifact[]>();
  const out: ClipTakes[] = [];
  for (const clip of clips) {
    // The first clip of a scene also lists the scene's renders from before it had shots (a version 1
    // timeline's, or an upgraded one's): they stay visible, and choosable, under its first shot.
    const firstOfScene = !byScene.has(clip.id);
    if (firstOfScene) byScene.set(clip.id, await sceneRenders([opts.outputRoot, ...(opts.moreRoots ?? [])], clip.id));
    const renders = (byScene.get(clip.id) ?? []).filter(
      (a) => (a.shotId ?? undefined) === clip.shotId || (firstOfScene && a.shotId === undefined),
    );
    const takes: Take[] = renders.map((a) => ({
      path: a.videoPath,
      rel: relToTimeline(timelineFile, a.videoPath),
      artifact: a,
    }));
    const f = clipFields(timeline, clip);
    let chosen: Take | undefined = takes[0];
    let missing: string | undefined;
    if (f.take) {
      const abs = absFromTimeline(timelineFile, f.take);
      if (isFile(abs))
        chosen = takes.find((k) => path.resolve(k.path) === abs) ?? {
          path: abs,
          rel: relToTimeline(timelineFile, abs),
        };
      else [chosen, missing] = [undefined, f.take];
    }
    out.push({
      clip,
      location: f.location,
      takes,
      ...(chosen ? { chosen } : {}),
      chosenExplicitly: f.take !== undefined,
      ...(missing ? { missing } : {}),
      ...(f.continuity ? { continuity: f.continuity } : {}),
    });
  }
  // Continuity: compare the recorded source take with the previous clip's chosen take now.
  out.forEach((c, i) => {
    if (!c.continuity) return;
    const prev = out[i - 1];
    if (!prev) c.outOfDate = 'it is the first clip of the timeline: there is no previous clip to continue from';
    else if (!prev.chosen)
      c.outOfDate = `"${prev.clip.key ?? prev.clip.id}" has no take yet: render it, then run "scene-to-video link"`;
    else if (!c.continuity.take)
      c.outOfDate = `its start keyframe is not extracted yet from "${prev.clip.key ?? prev.clip.id}"'s take ${prev.chosen.rel}`;
    else if (absFromTimeline(timelineFile, c.continuity.take) !== path.resolve(prev.chosen.path))
      c.outOfDate = `its start keyframe came from ${c.continuity.take}, but "${prev.clip.key ?? prev.clip.id}"'s chosen take is now ${prev.chosen.rel}`;
  });
  return out;
}
