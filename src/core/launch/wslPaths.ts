/**
 * Paths between Windows and WSL, with wslpath's semantics:
 *   C:\Users\Ana Lia\clip.png  ⇄  /mnt/c/Users/Ana Lia/clip.png
 *   \\wsl$\Ubuntu\home\ana     ⇄  /home/ana   (also \\wsl.localhost\Ubuntu\...)
 * A path that exists only on one side (a network share, another distro's files) is reported as
 * not translatable, so callers fetch the file over HTTP instead (GET /jobs/{id}/video).
 */
export type Translation = { ok: true; path: string } | { ok: false; reason: string };

const DRIVE = /^([A-Za-z]):(?:[\\/]|$)(.*)$/s;
const WSL_UNC = /^[\\/]{2}(?:wsl\$|wsl\.localhost)[\\/]([^\\/]+)(?:[\\/](.*))?$/is;

export function windowsToWsl(winPath: string, distro?: string): Translation {
  const drive = DRIVE.exec(winPath);
  if (drive) {
    const rest = (drive[2] ?? '').replace(/\\/g, '/').replace(/\/+$/, '');
    return { ok: true, path: `/mnt/${(drive[1] as string).toLowerCase()}${rest ? `/${rest}` : ''}` };
  }
  const unc = WSL_UNC.exec(winPath);
  if (unc) {
    const d = unc[1] as string;
    if (distro && d.toLowerCase() !== distro.toLowerCase()) return { ok: false, reason: `${winPath} is in the WSL distribution "${d}", not "${distro}".` };
    return { ok: true, path: `/${(unc[2] ?? '').replace(/\\/g, '/').replace(/\/+$/, '')}`.replace(/^\/$/, '/') };
  }
  if (/^[\\/]{2}/.test(winPath)) return { ok: false, reason: `${winPath} is a network share, which WSL cannot see at a fixed path.` };
  return { ok: false, reason: `${winPath} is not an absolute Windows path.` };
}

export function wslToWindows(linuxPath: string, distro: string): Translation {
  if (!linuxPath.startsWith('/')) return { ok: false, reason: `${linuxPath} is not an absolute Linux path.` };
  const mnt = /^\/mnt\/([a-z])(?:\/(.*))?$/is.exec(linuxPath);
  if (mnt) return { ok: true, path: `${(mnt[1] as string).toUpperCase()}:\\${(mnt[2] ?? '').replace(/\//g, '\\')}` };
  if (!distro) return { ok: false, reason: `${linuxPath} is inside WSL, and no distribution is named.` };
  return { ok: true, path: `\\\\wsl.localhost\\${distro}${linuxPath.replace(/\//g, '\\')}` };
}

/** Whether a path on one side can be read from the other without copying. */
export function isVisibleFrom(p: string, side: 'windows' | 'wsl', distro?: string): boolean {
  return side === 'wsl' ? windowsToWsl(p, distro).ok : p.startsWith('/') && (/^\/mnt\/[a-z](\/|$)/i.test(p) || !!distro);
}
