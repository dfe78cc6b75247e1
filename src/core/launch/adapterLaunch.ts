/**
 * How to start the FastVideo adapter: the executable, its arguments and its environment, spawnable
 * without a shell. The token travels only in the environment (STV_ADAPTER_TOKEN): command lines
 * are visible to every user of the machine.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type LaunchMode = 'native' | 'wsl';

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
