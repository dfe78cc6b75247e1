/**
 * Version 1 → version 2, in memory. Version 2 only adds fields, so the one change is a scene's
 * `keyframe` becoming `keyframes.start`; nothing else is touched, so nothing can be lost. A scene
 * without shots stays a one-shot scene (its renders keep their version 1 folder).
 * upgrade.ts makes the same change to a file's text.
 */
import type { Scene, Timeline } from './schema';

export function migrateToV2(t: Timeline): Timeline {
  if (t.version === 2 && t.scenes.every((s) => s.keyframe === undefined)) return t;
  return { ...t, version: 2, scenes: t.scenes.map(migrateScene) };
}

function migrateScene(s: Scene): Scene {
  if (s.keyframe === undefined) return s;
  const { keyframe, ...rest } = s;
  // A scene that somehow has both keeps `keyframes`: v2.ts reports that conflict before we get here.
  return rest.keyframes ? rest : { ...rest, keyframes: { start: keyframe } };
}
