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

/**
 * Where a keyframe really leads when that is outside the timeline's folder (by `..` or through a
 * symlink, resolved with `realPath`), else undefined. A keyframe that does not exist is judged by
 * its written path alone.
 */
export function keyframeEscape(
  timelineFile: string,
  absKeyframe: string,
  realPath: (p: string) => string | undefined,
): string | undefined {
  const dir = path.dirname(path.resolve(timelineFile));
  const realDir = realPath(dir) ?? dir;
  const target = realPath(absKeyframe) ?? absKeyframe;
  const base = realPath(absKeyframe) !== undefined ? realDir : dir;
  const rel = path.relative(base, target);
  const outside = rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
  return outside ? target : undefined;
}
