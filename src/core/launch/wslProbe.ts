/**
 * The one module that talks to WSL itself (wsl.exe), behind an interface the tests replace.
 * Everything that decides what to do with the answers is plain code beside it.
 */
import { execFile } from 'node:child_process';
import { StvError } from '../errors';

export interface WslDistro {
  name: string;
  version: 1 | 2;
  isDefault: boolean;
  state: string;
}

export interface WslProbe {
  /** wsl.exe exists and answers `--status` (false on other platforms). */
  available(): Promise<boolean>;
  /** The installed distributions (`wsl.exe -l -v`); [] when none is installed. */
  distros(): Promise<WslDistro[]>;
  /** nvidia-smi inside the distribution lists a GPU. */
  hasGpu(distro: string): Promise<boolean>;
}

/**
 * wsl.exe writes UTF-16LE unless WSL_UTF8=1 is set and honoured (WSL 0.64+); the inbox wsl.exe
 * of older Windows 10 builds ignores it. Accept both, with or without a byte-order mark.
 */
export function decodeWslOutput(out: Buffer): string {
  const looksUtf16 =
    (out.length >= 2 && out[0] === 0xff && out[1] === 0xfe) || (out.length >= 2 && out[1] === 0 && out[0] !== 0);
  return (looksUtf16 ? out.toString('utf16le') : out.toString('utf8')).replace(/^\uFEFF/, '').replace(/\0/g, '');
}

/**
 * Parses the table of `wsl.exe -l -v`: a header (NAME STATE VERSION), then one row per
 * distribution, the default marked with `*`. Distribution names have no spaces, the version is
 * the last column, and the states are printed in English on every Windows language.
 */
export function parseWslList(text: string): WslDistro[] {
  const out: WslDistro[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(\*)?\s*(\S+)\s+(\S.*?)\s+([12])\s*$/.exec(raw);
    if (!m) continue;
    out.push({ name: m[2] as string, state: m[3] as string, version: Number(m[4]) as 1 | 2, isDefault: m[1] === '*' });
  }
  return out;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Set when the program could not be started at all (ENOENT) or ran past its time. */
  error?: NodeJS.ErrnoException;
}

/** The first line that says something, for error messages. */
const firstLine = (r: RunResult) =>
  (decodeWslOutput(r.stdout) + '\n' + decodeWslOutput(r.stderr))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find(Boolean) ?? `exit code ${r.code}`;

export class RealWslProbe implements WslProbe {
  private readonly exe: string;
  private readonly platform: NodeJS.Platform;

  /** `executable` and `platform` are for tests, which run a stand-in wsl.exe on Linux. */
  constructor(opts: { executable?: string; platform?: NodeJS.Platform } = {}) {
    this.exe = opts.executable ?? 'wsl.exe';
    this.platform = opts.platform ?? process.platform;
  }

  run(args: string[], timeoutMs: number): Promise<RunResult> {
    return new Promise((resolve) =>
      execFile(
        this.exe,
        args,
        // WSL_UTF8: UTF-8 where supported; decodeWslOutput copes with UTF-16 where it is not.
        {
          encoding: 'buffer',
          timeout: timeoutMs,
          windowsHide: true,
          env: { ...process.env, WSL_UTF8: '1' },
          maxBuffer: 1 << 20,
        },
        (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
          const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
          resolve({
            code,
            stdout: Buffer.from(stdout ?? []),
            stderr: Buffer.from(stderr ?? []),
            ...(e && typeof e.code !== 'number' ? { error: e } : {}),
          });
        },
      ),
    );
  }

  async available(): Promise<boolean> {
    if (this.platform !== 'win32') return false;
    const r = await this.run(['--status'], 15_000);
    return !r.error && r.code === 0;
  }

  async distros(): Promise<WslDistro[]> {
    const r = await this.run(['-l', '-v'], 20_000);
    const list = parseWslList(decodeWslOutput(r.stdout));
    if (r.code === 0 && !r.error) return list;
    // With no distribution installed, `wsl -l -v` fails (WSL_E_DEFAULT_DISTRO_NOT_FOUND) with a
    // message in the user's language; the same exit comes from an old wsl.exe without `-v`.
    if (list.length === 0 && r.code !== null)
      throw new StvError(
        'WSL_UNAVAILABLE',
        `\`wsl -l -v\` found no Linux distribution: ${firstLine(r)}`,
        'Install one: `wsl --install -d Ubuntu-24.04`. If WSL is old (no `-v`), update it first: `wsl --update`.',
      );
    throw new StvError(
      'WSL_UNAVAILABLE',
      `\`wsl -l -v\` failed: ${r.error?.message ?? firstLine(r)}`,
      'Run `wsl --status` in a terminal to see why; `wsl --update` and `wsl --shutdown` fix most such states.',
    );
  }

  async hasGpu(distro: string): Promise<boolean> {
    // The Windows NVIDIA driver puts nvidia-smi in /usr/lib/wsl/lib; WSL adds it to PATH unless
    // wsl.conf says [gpu] appendGpuLibPath=false, so it is added here as well.
    const r = await this.run(
      ['-d', distro, '--exec', 'sh', '-c', 'PATH=$PATH:/usr/lib/wsl/lib; nvidia-smi -L'],
      60_000,
    );
    return r.code === 0 && /^GPU \d+:/m.test(decodeWslOutput(r.stdout));
  }
}

/** The distribution to use, or an error that names the fix: no WSL, no distribution, no such distribution, WSL1, no GPU. */
export async function checkWsl(probe: WslProbe, wanted: string, opts: { needGpu: boolean }): Promise<WslDistro> {
  if (!(await probe.available()))
    throw new StvError(
      'WSL_UNAVAILABLE',
      'WSL is not installed or does not answer.',
      'Install it from an administrator PowerShell with `wsl --install`, restart, then run scripts/setup-fastvideo-wsl.ps1. Or set fastVideo.launch to "native" (preview backend only).',
    );
  const list = await probe.distros();
  if (list.length === 0)
    throw new StvError(
      'WSL_UNAVAILABLE',
      'WSL has no Linux distribution installed.',
      'Install one: `wsl --install -d Ubuntu-24.04`, then run scripts/setup-fastvideo-wsl.ps1.',
    );
  const distro = wanted.trim()
    ? list.find((d) => d.name.toLowerCase() === wanted.trim().toLowerCase())
    : (list.find((d) => d.isDefault) ?? list[0]);
  if (!distro)
    throw new StvError(
      'WSL_UNAVAILABLE',
      `The WSL distribution "${wanted}" is not installed (installed: ${list.map((d) => d.name).join(', ')}).`,
      'Fix fastVideo.wslDistro, or leave it empty for the default distribution.',
    );
  if (distro.version !== 2)
    throw new StvError(
      'WSL_UNAVAILABLE',
      `"${distro.name}" runs under WSL1, which has no GPU access (CUDA needs WSL2).`,
      `Convert it: \`wsl --set-version ${distro.name} 2\` (takes a few minutes).`,
    );
  if (opts.needGpu && !(await probe.hasGpu(distro.name)))
    throw new StvError(
      'WSL_UNAVAILABLE',
      `No NVIDIA GPU is visible inside "${distro.name}" (nvidia-smi finds none).`,
      'Update the NVIDIA driver on Windows (it provides CUDA inside WSL2; do not install a Linux driver in WSL), then `wsl --shutdown` and try again. Or use the preview backend (fastVideo.backend = "preview").',
    );
  return distro;
}
