/**
 * Starts the adapter as a child process and waits until /health answers; used by the CLI (which
 * starts a preview adapter when nothing is reachable), the tests and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { StvError } from '../errors';
import { AdapterClient } from '../providers/fastvideo/client';
import { buildNativeLaunch, type AdapterLaunchConfig } from './adapterLaunch';

export interface RunningAdapterProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** The last lines the adapter printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function startAdapterProcess(
  cfg: Omit<AdapterLaunchConfig, 'port' | 'host' | 'mode' | 'platform'> & {
    port?: number;
    token?: string;
    cwd?: string;
    readyTimeoutMs?: number;
    env?: Record<string, string>;
  },
): Promise<RunningAdapterProcess> {
  const port = cfg.port ?? (await freePort());
  const plan = buildNativeLaunch({
    ...cfg,
    platform: process.platform,
    mode: 'native',
    host: '127.0.0.1',
    port,
    extraEnv: cfg.token ? { STV_ADAPTER_TOKEN: cfg.token } : {},
  });
  const child = spawn(plan.executable, plan.args, {
    cwd: cfg.cwd,
    env: { ...process.env, ...plan.env, ...(cfg.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group on POSIX, so stop() ends uvicorn and any FastVideo workers with it.
    detached: process.platform !== 'win32',
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('error', (e) => keep(Buffer.from(String(e))));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGTERM');
      else child.kill();
    } catch {
      child.kill();
    }
    const t = setTimeout(() => {
      try {
        if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }, 10_000);
    await exited;
    clearTimeout(t);
  };
  const client = new AdapterClient({ endpoint: url, token: cfg.token });
  const deadline = Date.now() + (cfg.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new StvError(
        'ADAPTER_CRASHED',
        `The adapter exited while starting (${child.exitCode ?? child.signalCode}): ${tail.trim().split('\n').slice(-3).join(' | ')}`,
        `Run it by hand to see why: ${plan.executable} ${plan.args.join(' ')}`,
      );
    }
    try {
      await client.health(AbortSignal.timeout(2000));
      return { url, port, child, output: () => tail, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new StvError(
          'TIMEOUT',
          `The adapter did not answer on ${url} within ${Math.round((cfg.readyTimeoutMs ?? 60_000) / 1000)} s.`,
          tail.trim().split('\n').slice(-3).join(' | '),
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
