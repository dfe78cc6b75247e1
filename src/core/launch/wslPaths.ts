/**
 * Paths between Windows and WSL, with wslpath's semantics:
 *   C:\Users\Ana Lia\clip.png  ⇄  /mnt/c/Users/Ana Lia/clip.png
 *   \\wsl$\Ubuntu\home\ana     ⇄  /home/ana   (also \\wsl.localhost\Ubuntu\...)
 * A path that exists only on one side (a network share, another distribution's files, a Linux
 * name Windows cannot spell) is reported as not translatable, with the reason, so callers fetch
 * the file over HTTP instead (GET /jobs/{id}/video). Nothing here touches the disk.
 */
export type Translation = { ok: true; path: string } | { ok: false; reason: string };

export interface WslPathOptions {
  /** Where WSL mounts the Windows drives ([automount] root in /etc/wsl.conf); default /mnt/. */
  mountRoot?: string;
}

const DRIVE = /^([A-Za-z]):(?:[\\/]|$)(.*)$/s;
const WSL_UNC = /^[\\/]{2}(?:wsl\$|wsl\.localhost)[\\/]([^\\/]+)(?:[\\/](.*))?$/is;
/** Win32 device-path prefixes: \\?\C:\... and \\.\C:\... name the same file as C:\... */
const DEVICE_PREFIX = /^[\\/]{2}[?.][\\/]/;

function mountRootOf(opts?: WslPathOptions): string {
  const root = (opts?.mountRoot ?? '/mnt/').replace(/\/*$/, '/');
  return root.startsWith('/') ? root : `/${root}`;
}

const joinLinux = (head: string, rest: string) => {
  const tail = rest
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^\/|\/$/g, '');
  return tail ? `${head.replace(/\/$/, '')}/${tail}` : head.replace(/(.)\/$/, '$1');
};

/** A Windows path as WSL sees it (`wslpath -u`). */
export function windowsToWsl(winPath: string, distro?: string, opts?: WslPathOptions): Translation {
  let p = winPath;
  if (DEVICE_PREFIX.test(p)) {
    p = p.slice(4);
    if (/^UNC[\\/]/i.test(p))
      return { ok: false, reason: `${winPath} is a network share, which WSL cannot see at a fixed path.` };
  }
  const drive = DRIVE.exec(p);
  if (drive)
    return { ok: true, path: joinLinux(`${mountRootOf(opts)}${(drive[1] as string).toLowerCase()}`, drive[2] ?? '') };
  const unc = WSL_UNC.exec(p);
  if (unc) {
    const d = unc[1] as string;
    if (distro && d.toLowerCase() !== distro.toLowerCase())
      return {
        ok: false,
        reason: `${winPath} is in the WSL distribution "${d}", not in "${distro}" where the adapter runs.`,
      };
    return { ok: true, path: joinLinux('/', unc[2] ?? '') };
  }
  if (/^[\\/]{2}/.test(p))
    return { ok: false, reason: `${winPath} is a network share, which WSL cannot see at a fixed path.` };
  if (/^[A-Za-z]:/.test(p))
    return { ok: false, reason: `${winPath} is relative to the current folder of drive ${p[0]}:; give the full path.` };
  if (/^[\\/]/.test(p)) return { ok: false, reason: `${winPath} has no drive letter; give the full path (C:\\...).` };
  return { ok: false, reason: `${winPath} is not an absolute Windows path.` };
}

/** Characters a Linux file name may hold but a Windows path cannot. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what Windows refuses
const NOT_WINDOWS = /[\\:*?"<>|\0-\x1f]/;

/** A Linux path inside `distro` as Windows sees it (`wslpath -w`). */
export function wslToWindows(linuxPath: string, distro: string, opts?: WslPathOptions): Translation {
  if (!linuxPath.startsWith('/')) return { ok: false, reason: `${linuxPath} is not an absolute Linux path.` };
  const root = mountRootOf(opts);
  const rel = linuxPath.startsWith(root) ? linuxPath.slice(root.length) : undefined;
  const mnt = rel !== undefined ? /^([a-z])(?:\/(.*))?$/s.exec(rel) : null;
  const rest = mnt ? (mnt[2] ?? '') : linuxPath;
  if (NOT_WINDOWS.test(rest))
    return { ok: false, reason: `${linuxPath} has characters that Windows paths cannot hold.` };
  if (mnt)
    return { ok: true, path: `${(mnt[1] as string).toUpperCase()}:\\${rest.replace(/\/+/g, '\\').replace(/\\$/, '')}` };
  if (!distro) return { ok: false, reason: `${linuxPath} is inside WSL, and no distribution is named.` };
  return { ok: true, path: `\\\\wsl.localhost\\${distro}${linuxPath.replace(/\/+/g, '\\').replace(/(.)\\$/, '$1')}` };
}

const looksLinux = (p: string) => p.startsWith('/') && !/^[\\/]{2}/.test(p);

/**
 * Whether `p` — a Windows or a Linux path — can be opened from `side` without copying: a Linux
 * path from Windows through \\wsl.localhost (or the drive under /mnt), a Windows path from WSL
 * through /mnt/<drive>. Network shares are visible from Windows only.
 */
export function isVisibleFrom(p: string, side: 'windows' | 'wsl', distro?: string, opts?: WslPathOptions): boolean {
  if (looksLinux(p)) return side === 'wsl' || wslToWindows(p, distro ?? '', opts).ok;
  if (side === 'windows') return DRIVE.test(p) || /^[\\/]{2}/.test(p);
  return windowsToWsl(p, distro, opts).ok;
}
