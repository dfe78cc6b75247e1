/**
 * How to start the FastVideo adapter: the executable, its arguments and its environment, spawnable
 * without a shell. The token travels only in the environment (STV_ADAPTER_TOKEN): command lines
 * are visible to every user of the machine.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLine, quoteFor, type ShellKind } from './quote';

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
}

export function adapterArgs(cfg: AdapterLaunchConfig): string[] {
  const args = ['-m', 'stv_adapter', 'serve', '--host', cfg.host, '--port', String(cfg.port), '--backend', cfg.backend];
  if (cfg.modelId) args.push('--model', cfg.modelId);
  if (cfg.modelPath) args.push('--model-path', cfg.modelPath);
  if (cfg.attentionBackend && cfg.attentionBackend !== 'auto') args.push('--attention-backend', cfg.attentionBackend);
  if (cfg.outputRoot) args.push('--output-root', cfg.outputRoot);
  if (cfg.artifactsDir) args.push('--artifacts-dir', cfg.artifactsDir);
  if (cfg.cpuOffload === false) args.push('--no-dit-cpu-offload', '--no-vae-cpu-offload', '--no-text-encoder-cpu-offload');
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
export function pythonCandidates(opts: { platform: NodeJS.Platform; configured?: string; workspaceDirs?: string[]; extensionDir?: string; home?: string }): string[] {
  const win = opts.platform === 'win32';
  const venvPython = (venv: string) => (win ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python'));
  const home = opts.home ?? os.homedir();
  const out: string[] = [];
  if (opts.configured) out.push(opts.configured);
  for (const dir of [...(opts.workspaceDirs ?? []), ...(opts.extensionDir ? [opts.extensionDir] : [])]) out.push(venvPython(path.join(dir, 'python', '.venv')));
  if (win && process.env.LOCALAPPDATA) out.push(venvPython(path.join(process.env.LOCALAPPDATA, 'SceneToVideo', 'venv')));
  out.push(venvPython(path.join(process.env.STV_HOME ?? path.join(home, '.scene-to-video'), 'venv')));
  return out;
}

export function findPython(candidates: string[], exists: (p: string) => boolean = existsSync): string | undefined {
  return candidates.find((p) => exists(p));
}

/** The Linux-side Python that scripts/setup-fastvideo.sh creates, relative to the WSL home. */
export const WSL_DEFAULT_PYTHON = '.scene-to-video/venv/bin/python';

/**
 * The adapter inside WSL2: `wsl.exe -d <distro> --cd ~ --exec <python> -m stv_adapter serve ...`,
 * bound to 127.0.0.1 (WSL2 forwards localhost to Windows). --exec runs the program without a
 * shell, so nothing in the arguments is interpreted. Windows paths are translated; the token is
 * forwarded through WSLENV, never on the command line.
 */
export function buildWslLaunch(cfg: AdapterLaunchConfig): LaunchPlan {
  const toLinux = (p: string | undefined) => {
    if (!p || p.startsWith('/')) return p;
    const t = windowsToWsl(p, cfg.wslDistro);
    return t.ok ? t.path : p;
  };
  const linuxCfg = { ...cfg, host: '127.0.0.1', modelPath: toLinux(cfg.modelPath), outputRoot: toLinux(cfg.outputRoot), artifactsDir: toLinux(cfg.artifactsDir) };
  const forwarded = Object.keys(cfg.extraEnv ?? {}).map((k) => `${k}/u`);
  const env: Record<string, string> = { ...(cfg.extraEnv ?? {}) };
  if (forwarded.length) env.WSLENV = [process.env.WSLENV, ...forwarded].filter(Boolean).join(':');
  return {
    executable: 'wsl.exe',
    args: [...(cfg.wslDistro ? ['-d', cfg.wslDistro] : []), '--cd', '~', '--exec', cfg.pythonPath || WSL_DEFAULT_PYTHON, ...adapterArgs(linuxCfg)],
    env,
    description: `${cfg.backend} adapter in WSL2 (${cfg.wslDistro || 'default distribution'}) on 127.0.0.1:${cfg.port}`,
  };
}

export function buildAdapterLaunch(cfg: AdapterLaunchConfig): LaunchPlan {
  return cfg.mode === 'wsl' ? buildWslLaunch(cfg) : buildNativeLaunch(cfg);
}

/** The plan as one line to type into a shell (for docs, logs and "copy command"). */
export function toShellCommandLine(plan: LaunchPlan, shell: ShellKind): string {
  const env = Object.entries(plan.env).filter(([k]) => k !== 'STV_ADAPTER_TOKEN' && k !== 'WSLENV' && k !== 'PYTHONUNBUFFERED');
  const line = commandLine(shell, plan.executable, plan.args);
  if (env.length === 0) return line;
  switch (shell) {
    case 'pwsh':
    case 'powershell':
      return `${env.map(([k, v]) => `$env:${k} = ${quoteFor(shell, v)}`).join('; ')}; ${line}`;
    case 'cmd':
      return `${env.map(([k, v]) => `set "${k}=${v}"`).join(' && ')} && ${line}`;
    default:
      return `${env.map(([k, v]) => `${k}=${quoteFor(shell, v)}`).join(' ')} ${line}`;
  }
}
