/**
 * Close matches for the editor's "did you mean" and quick fixes: a misspelt key, a keyframe path
 * that does not exist but a similar image does. Pure (the caller lists the files), so unit-tested.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';

/** Image types the providers read (the loader warns about anything else). */
export const KEYFRAME_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;

export function isKeyframeImage(name: string): boolean {
  return (KEYFRAME_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
}

/** Levenshtein distance, case-insensitive (a key typed in the wrong case is a near miss). */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] ?? 0;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] ?? 0;
      dp[j] = Math.min(
        (dp[j] ?? 0) + 1,
        (dp[j - 1] ?? 0) + 1,
        prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return dp[b.length] ?? 0;
}

/** The closest candidate, if it is close enough to be what was meant (same bound as the loader's). */
export function closestMatch(typed: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(typed, c);
    if (d < bestD && c !== typed) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

/**
 * The existing image a missing keyframe most likely meant. `images`: paths relative to the
 * timeline's folder, with forward slashes. Compares whole paths first, then file names alone (the
 * right name in another folder), so "keyframe/lighthose.png" finds "keyframes/lighthouse.png".
 */
export function closestKeyframe(missing: string, images: readonly string[]): string | undefined {
  const typed = missing.replace(/\\/g, '/').replace(/^\.\//, '');
  const whole = closestMatch(typed, images);
  if (whole) return whole;
  const base = path.posix.basename(typed);
  const byName = images.filter(
    (i) => closestMatch(base, [path.posix.basename(i)]) !== undefined || path.posix.basename(i) === base,
  );
  if (byName.length === 0) return undefined;
  return byName.reduce((a, b) => (editDistance(typed, a) <= editDistance(typed, b) ? a : b));
}

/** The quoted key in an "Unknown field" problem and the name it should have, if the loader suggested one. */
export function unknownKeyFix(message: string): { key: string; replacement: string } | undefined {
  const m = /^Unknown field "([^"]+)" .*Did you mean "([^"]+)"\?/.exec(message);
  return m?.[1] && m[2] ? { key: m[1], replacement: m[2] } : undefined;
}

/**
 * Images under `dir` (a timeline's folder) as relative paths with forward slashes, the form a
 * timeline writes. Bounded (depth 4, 500 files) and skipping dot-folders and node_modules, so a
 * timeline in a large tree cannot stall the editor.
 */
export async function listKeyframeImages(dir: string, limit = 500): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (out.length >= limit) return;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && depth < 4 && !e.name.startsWith('.') && e.name !== 'node_modules')
        await walk(child, depth + 1);
      else if (e.isFile() && isKeyframeImage(e.name)) out.push(child);
    }
  };
  await walk('', 0);
  return out;
}
