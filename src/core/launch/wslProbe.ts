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
  /** wsl.exe exists and answers. */
  available(): Promise<boolean>;
  distros(): Promise<WslDistro[]>;
  /** nvidia-smi inside the distribution lists a GPU. */
  hasGpu(distro: string): Promise<boolean>;
}

/** `wsl.exe -l -v` prints UTF-16LE on most Windows builds, UTF-8 on some: accept both. */
export function decodeWslOutput(out: Buffer): string {
  const looksUtf16 = out.length >= 2 && (out[1] === 0 || (out[0] === 0xff && out[1] === 0xfe));
  return (looksUtf16 ? out.toString('utf16le') : out.toString('utf8')).replace(/^\uFEFF/, '').replace(/\0/g, '');
}

/** Parses the table of `wsl.exe -l -v` (NAME STATE VERSION, the default marked with *). */
export function parseWslList(text: string): WslDistro[] {
  const out: WslDistro[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    const m = /^\s*(\*)?\s*(\S.*?)\s+(\S+)\s+([12])\s*$/.exec(line);
    if (!m || /^NAME$/i.test(m[2] ?? '')) continue;
    out.push({ name: m[2] as string, state: m[3] as string, version: Number(m[4]) as 1 | 2, isDefault: m[1] === '*' });
  }
  return out;
}

function run(args: string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    execFile('wsl.exe', args, { encoding: 'buffer', timeout: timeoutMs, windowsHide: true }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
}

export class RealWslProbe implements WslProbe {
  async available(): Promise<boolean> {
    if (process.platform !== 'win32') return false;
    try {
      await run(['--status'], 10_000);
      return true;
    } catch {
      return false;
    }
  }
  async distros(): Promise<WslDistro[]> {
    return parseWslList(decodeWslOutput(await run(['-l', '-v'], 15_000)));
  }
  async hasGpu(distro: string): Promise<boolean> {
    try {
      return /GPU \d/.test(decodeWslOutput(await run(['-d', distro, '--exec', 'nvidia-smi', '-L'], 30_000)));
    } catch {
      return false;
    }
  }
}

/** The distribution to use, or an error that names the fix: no WSL, no such distro, WSL1, no GPU. */
export async function checkWsl(probe: WslProbe, wanted: string, opts: { needGpu: boolean }): Promise<WslDistro> {
  if (!(await probe.available()))
    throw new StvError('WSL_UNAVAILABLE', 'WSL is not installed or does not answer.', 'Install it from an administrator PowerShell with `wsl --install`, restart, then run scripts/setup-fastvideo-wsl.ps1. Or set fastVideo.launch to "native" (preview backend only).');
  const list = await probe.distros();
  if (list.length === 0) throw new StvError('WSL_UNAVAILABLE', 'WSL has no Linux distribution installed.', 'Install one: `wsl --install -d Ubuntu-24.04`, then run scripts/setup-fastvideo-wsl.ps1.');
  const distro = wanted ? list.find((d) => d.name.toLowerCase() === wanted.toLowerCase()) : (list.find((d) => d.isDefault) ?? list[0]);
  if (!distro) throw new StvError('WSL_UNAVAILABLE', `The WSL distribution "${wanted}" is not installed (installed: ${list.map((d) => d.name).join(', ')}).`, 'Fix fastVideo.wslDistro, or leave it empty for the default distribution.');
  if (distro.version !== 2)
    throw new StvError('WSL_UNAVAILABLE', `"${distro.name}" runs under WSL1, which has no GPU access.`, `Convert it: \`wsl --set-version ${distro.name} 2\` (takes a few minutes).`);
  if (opts.needGpu && !(await probe.hasGpu(distro.name)))
    throw new StvError('WSL_UNAVAILABLE', `No NVIDIA GPU is visible inside "${distro.name}" (nvidia-smi finds none).`, 'Update the NVIDIA driver on Windows (it provides CUDA inside WSL2; do not install a Linux driver in WSL), then `wsl --shutdown` and try again. Or use the preview backend.');
  return distro;
}
