import * as path from 'node:path';

/**
 * Resolves a keyframe path written in a timeline relative to the timeline's folder. Timelines are
 * shared between Windows and Linux/WSL users, so both separators are accepted on every OS.
 */
export function resolveKeyframePath(timelineFile: string, keyframe: string): string {
  const dir = path.dirname(timelineFile);
  const isWindows = path.sep === '\\';
  const normalised = isWindows ? keyframe.replace(/\//g, '\\') : keyframe.replace(/\\/g, '/');
  return path.resolve(dir, normalised);
}
