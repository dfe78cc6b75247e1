/**
 * How to start the FastVideo adapter: the executable, its arguments and its environment, spawnable
 * without a shell. The token travels only in the environment (STV_ADAPTER_TOKEN): command lines
 * are visible to every user of the machine.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../errors';
import { commandLine, envPrefix, type ShellKind } from './quote';

import type { LaunchMode } from './mode';
import { windowsToWsl } from './wslPaths';

export type { LaunchMode } from './mode';

export interface AdapterLaunchConfig {
  platform: NodeJS.Platform;
  mode: LaunchMode;
  pythonPath: string;
  wslDistro?: string;
  host: string;
  port: number;
  backend: 'fastvideo' | 'preview';
  modelId?: string;
  modelPath?: string;
  attentionBackend?: string;
  outputRoot?: string;
  /** Where the adapter writes its per-job telemetry (default: artifacts/fastvideo in its cwd). */
  artifactsDir?: string;
  cpuOffload?: boolean;
  lazy?: boolean;
  extraEnv?: Record<string, string>;
}

export interface LaunchPlan {
  executable: string;
  args: string[];
  env: Record<string, string>;
  description: string;
  /** What the user should know about this launch (e.g. a folder WSL cannot see). */
  warnings?: string[];
}

export function adapterArgs(cfg: AdapterLaunchConfig): string[] {
  const args = ['-m', 'stv_adapter', 'serve', '--host', cfg.host, '--port', String(cfg.port), '--backend', cfg.backend];
  if (cfg.modelId) args.push('--model', cfg.modelId);
  if (cfg.modelPath) args.push('--model-path', cfg.modelPath);
  if (cfg.attentionBackend && cfg.attentionBackend !== 'auto') args.push('--attention-backend', cfg.attentionBackend);
  if (cfg.outputRoot) args.push('--output-root', cfg.outputRoot);
  if (cfg.artifactsDir) args.push('--artifacts-dir', cfg.artifactsDir);
  if (cfg.cpuOffload === false)
    args.push('--no-dit-cpu-offload', '--no-vae-cpu-offload', '--no-text-encoder-cpu-offload');
  if (cfg.lazy) args.push('--lazy');
  return args;
}

export function buildNativeLaunch(cfg: AdapterLaunchConfig): LaunchPlan {
  return {
    executable: cfg.pythonPath,
    args: adapterArgs(cfg),
    env: { PYTHONUNBUFFERED: '1', ...(cfg.extraEnv ?? {}) },
    description: `${cfg.backend} adapter on ${cfg.host}:${cfg.port} (${cfg.pythonPath})`,
  };
}

/** Python interpreters that may hold the adapter, most specific first. */
export function pythonCandidates(opts: {
  platform: NodeJS.Platform;
  configured?: string;
  workspaceDirs?: string[];
  extensionDir?: string;
  home?: string;
}): string[] {
  const win = opts.platform === 'win32';
  const venvPython = (venv: string) =>
    win ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
  const home = opts.home ?? os.homedir();
  const out: string[] = [];
  if (opts.configured) out.push(opts.configured);
  for (const dir of [...(opts.workspaceDirs ?? []), ...(opts.extensionDir ? [opts.extensionDir] : [])])
    out.push(venvPython(path.join(dir, 'python', '.venv')));
  if (win && process.env.LOCALAPPDATA)
    out.push(venvPython(path.join(process.env.LOCALAPPDATA, 'SceneToVideo', 'venv')));
  out.push(venvPython(path.join(process.env.STV_HOME ?? path.join(home, '.scene-to-video'), 'venv')));
  return out;
}

export function findPython(candidates: string[], exists: (p: string) => boolean = existsSync): string | undefined {
  return candidates.find((p) => exists(p));
}

/** The Linux-side Python that scripts/setup-fastvideo.sh creates, relative to the WSL home. */
export const WSL_DEFAULT_PYTHON = '.scene-to-video/venv/bin/python';

/**
 * The Linux python for `wsl.exe --exec`, which runs it without a shell from the home folder
 * (`--cd ~`): `~/x` becomes the relative `x`; a Windows path is refused (a Windows python.exe
 * cannot run FastVideo inside WSL).
 */
export function wslPython(configured: string | undefined): string {
  const p = (configured ?? '').trim();
  if (!p) return WSL_DEFAULT_PYTHON;
  if (/^[A-Za-z]:|\\/.test(p))
    throw new StvError(
      'SETTINGS_INVALID',
      `fastVideo.pythonPath is a Windows path (${p}), but the adapter runs inside WSL.`,
      `Set it to the Linux python inside the distribution (e.g. ~/${WSL_DEFAULT_PYTHON}), or leave it empty for that default.`,
    );
  if (p === '~')
    throw new StvError(
      'SETTINGS_INVALID',
      'fastVideo.pythonPath is "~", a folder.',
      `Point it at the python itself, e.g. ~/${WSL_DEFAULT_PYTHON}.`,
    );
  return p.startsWith('~/') ? p.slice(2) : p;
}

/** WSLENV entries for variables forwarded from Windows to WSL (/u: only when Windows starts WSL), deduplicated. */
export function forwardToWsl(names: string[], inherited: string | undefined): string | undefined {
  const entries = (inherited ?? '').split(':').filter(Boolean);
  const have = new Set(entries.map((e) => e.split('/')[0]));
  for (const n of names) if (!have.has(n)) entries.push(`${n}/u`);
  return entries.length ? entries.join(':') : undefined;
}

/**
 * The adapter inside WSL2: `wsl.exe -d <distro> --cd ~ --exec <python> -m stv_adapter serve ...`,
 * bound to 127.0.0.1 (WSL2 forwards localhost to Windows; never 0.0.0.0). `--exec` hands the
 * arguments to the program as they are (wsl.exe splits them with CommandLineToArgvW and calls
 * execvpe); `--` instead would join them into one line for the login shell to re-parse. Windows
 * paths are translated; the token is forwarded through WSLENV, never on the command line.
 */
export function buildWslLaunch(cfg: AdapterLaunchConfig & { inheritedWslenv?: string }): LaunchPlan {
  const warnings: string[] = [];
  const toLinux = (p: string | undefined, what: string, required: boolean): string | undefined => {
    if (!p || p.startsWith('/') || p.startsWith('~/')) return p;
    const t = windowsToWsl(p, cfg.wslDistro);
    if (t.ok) return t.path;
    if (required)
      throw new StvError(
        'SETTINGS_INVALID',
        `${what} cannot be reached from inside WSL: ${t.reason}`,
        `Copy it into the distribution (e.g. ~/.cache/fastvideo) and give its Linux path, or a path on a local drive (C:\\... is /mnt/c/...).`,
      );
    warnings.push(
      `${what} (${p}) is not visible inside WSL (${t.reason}); the adapter keeps its default inside WSL and the extension downloads each video over HTTP.`,
    );
    return undefined;
  };
  const linuxCfg: AdapterLaunchConfig = {
    ...cfg,
    host: '127.0.0.1',
    modelPath: toLinux(cfg.modelPath, 'fastVideo.modelPath', true),
    outputRoot: toLinux(cfg.outputRoot, 'The output folder', false),
    artifactsDir: toLinux(cfg.artifactsDir, 'The telemetry folder', false),
  };
  const env: Record<string, string> = { ...(cfg.extraEnv ?? {}) };
  const wslenv = forwardToWsl(
    Object.keys(cfg.extraEnv ?? {}),
    'inheritedWslenv' in cfg ? cfg.inheritedWslenv : process.env.WSLENV,
  );
  if (Object.keys(env).length && wslenv) env.WSLENV = wslenv;
  return {
    executable: 'wsl.exe',
    args: [
      ...(cfg.wslDistro ? ['-d', cfg.wslDistro] : []),
      '--cd',
      '~',
      '--exec',
      wslPython(cfg.pythonPath),
      ...adapterArgs(linuxCfg),
    ],
    env,
    description: `${cfg.backend} adapter in WSL2 (${cfg.wslDistro || 'default distribution'}) on 127.0.0.1:${cfg.port}`,
    ...(warnings.length ? { warnings } : {}),
  };
}

export function buildAdapterLaunch(cfg: AdapterLaunchConfig): LaunchPlan {
  return cfg.mode === 'wsl' ? buildWslLaunch(cfg) : buildNativeLaunch(cfg);
}

/**
 * The plan as one line to type into a shell (for docs, logs and "copy command"). The token is
 * left out: whoever runs the line sets STV_ADAPTER_TOKEN themselves; WSLENV stays so that the
 * variables that are printed still reach WSL.
 */
export function toShellCommandLine(plan: LaunchPlan, shell: ShellKind): string {
  const env = Object.entries(plan.env).filter(([k]) => k !== 'STV_ADAPTER_TOKEN' && k !== 'PYTHONUNBUFFERED');
  const printed = env.filter(([k]) => k !== 'WSLENV');
  return envPrefix(shell, printed.length ? env : []) + commandLine(shell, plan.executable, plan.args);
}
