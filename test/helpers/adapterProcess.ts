import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAdapterProcess, type RunningAdapterProcess } from '../../src/core/launch/adapterProcess';
import { repoRoot, venvPython } from './paths';

export interface TestAdapter extends RunningAdapterProcess {
  outputRoot: string;
  /** SIGKILLs the whole process group at once, as a crash or `kill -9` would (POSIX). */
  kill(): void;
  dispose(): Promise<void>;
}

/**
 * The real adapter (python -m stv_adapter serve --backend preview) on a loopback port: a free one,
 * or `port` to restart on the address a client already uses. `outputRoot` reuses a folder (a
 * restart); otherwise a temp folder is made and removed by dispose().
 */
export async function startTestAdapter(
  opts: { token?: string; port?: number; outputRoot?: string; fakeFastVideo?: boolean } = {},
): Promise<TestAdapter> {
  const ownsOutput = !opts.outputRoot;
  const outputRoot = opts.outputRoot ?? mkdtempSync(path.join(os.tmpdir(), 'stv-adapter-test-'));
  const a = await startAdapterProcess({
    pythonPath: venvPython,
    backend: opts.fakeFastVideo ? 'fastvideo' : 'preview',
    outputRoot,
    artifactsDir: path.join(outputRoot, '.artifacts'),
    token: opts.token,
    cwd: outputRoot,
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.fakeFastVideo ? fakeFastVideo(outputRoot) : {}),
  });
  return {
    ...a,
    outputRoot,
    kill() {
      if (process.platform !== 'win32' && a.child.pid) process.kill(-a.child.pid, 'SIGKILL');
      else a.child.kill('SIGKILL');
    },
    async dispose() {
      await a.stop();
      if (ownsOutput) rmSync(outputRoot, { recursive: true, force: true });
    },
  };
}

/**
 * The adapter's real `fastvideo` backend (its spawned worker, pipe, force-stop and reload) with
 * FastVideo's library replaced by python/tests/fake_fastvideo, which writes real MP4s and is
 * steered by the prompt: "slow" takes a minute, "oom" raises a CUDA out-of-memory error.
 */
function fakeFastVideo(root: string) {
  const model = path.join(root, '.model', 'FastWan2.2-TI2V-5B-FullAttn-Diffusers');
  for (const entry of ['transformer', 'vae', 'text_encoder', 'tokenizer'])
    mkdirSync(path.join(model, entry), { recursive: true });
  writeFileSync(path.join(model, 'model_index.json'), '{}');
  return {
    modelId: 'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
    modelPath: model,
    attentionBackend: 'TORCH_SDPA',
    env: {
      PYTHONPATH: path.join(repoRoot, 'python', 'tests', 'fake_fastvideo'),
      STV_FAKE_FASTVIDEO_LOG: path.join(root, '.model', 'calls.jsonl'),
    },
  };
}
