/**
 * Finds a keyframe that a gemDirect1 story or scene file names by `keyframePath`. gemDirect1 runs
 * on Windows and writes absolute paths (`C:\Users\...\keyframes\scene-001.png`, or a UNC share),
 * which do not exist on another machine, nor under WSL. So the path is tried as given, then
 * relative to the file, then by its file name in the file's folder and its sub-folders (the
 * `keyframes/` folder gemDirect1 exports beside it). Every fallback is reported by the caller.
 */
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';

export interface LocatedKeyframe {
  /** The file found, absolute; undefined when none was. */
  file?: string;
  /** When found other than as given: how, in words ("was found by its file name at ..."). */
  fallback?: string;
  /** Every place looked at, for the message when nothing was found. */
  tried: string[];
}

/** A drive path (C:\ or C:/) or a UNC path (\\server\share): Windows-absolute on every OS. */
export function isWindowsAbsolute(p: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(p) || /^\\\\[^\\]+\\[^\\]+/.test(p) || /^\/\/[^/]+\/[^/]+/.test(p);
}

/** The file name of a path written on Windows or POSIX, whichever separators it uses. */
export function portableBasename(p: string): string {
  return path.win32.basename(p.replace(/\//g, '\\'));
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function locateKeyframe(keyframePath: string, sourceFile: string): Promise<LocatedKeyframe> {
  const dir = path.dirname(path.resolve(sourceFile));
  const tried: string[] = [];
  const winAbs = isWindowsAbsolute(keyframePath);
  const onWindows = path.sep === '\\';
  // As given: an absolute path of this OS (a Windows path only means something on Windows).
  const asGiven = winAbs
    ? onWindows
      ? path.win32.normalize(keyframePath)
      : undefined
    : path.isAbsolute(keyframePath)
      ? keyframePath
      : undefined;
  if (asGiven) {
    tried.push(asGiven);
    if (await isFile(asGiven)) return { file: asGiven, tried };
  }
  if (!winAbs && !path.isAbsolute(keyframePath)) {
    const relative = path.resolve(
      dir,
      onWindows ? keyframePath.replace(/\//g, '\\') : keyframePath.replace(/\\/g, '/'),
    );
    tried.push(relative);
    if (await isFile(relative)) return { file: relative, tried };
  }
  const name = portableBasename(keyframePath);
  if (!name || name === '.' || name === '..') return { tried };
  const candidates = [path.join(dir, name), path.join(dir, 'keyframes', name)];
  try {
    for (const d of await readdir(dir, { withFileTypes: true }))
      if (d.isDirectory() && !d.name.startsWith('.') && d.name !== 'keyframes')
        candidates.push(path.join(dir, d.name, name));
  } catch {
    // an unreadable folder: the candidates so far are all there is
  }
  for (const c of candidates) {
    tried.push(c);
    if (await isFile(c)) {
      const why =
        winAbs && !onWindows ? 'is a Windows path that does not exist on this machine' : 'does not exist as written';
      return { file: c, fallback: `${why}; it was found by its file name at ${c}.`, tried };
    }
  }
  return { tried };
}
