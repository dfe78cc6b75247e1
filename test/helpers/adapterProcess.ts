import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAdapterProcess, type RunningAdapterProcess } from '../../src/core/launch/adapterProcess';
import { venvPython } from './paths';

export interface TestAdapter extends RunningAdapterProcess {
  outputRoot: string;
  dispose(): Promise<void>;
}

/** The real adapter (python -m stv_adapter serve --backend preview) on a free loopback port. */
export async function startTestAdapter(opts: { token?: string; extraArgs?: string[] } = {}): Promise<TestAdapter> {
  const outputRoot = mkdtempSync(path.join(os.tmpdir(), 'stv-adapter-test-'));
  const a = await startAdapterProcess({ pythonPath: venvPython, backend: 'preview', outputRoot, artifactsDir: path.join(outputRoot, '.artifacts'), token: opts.token, cwd: outputRoot });
  return {
    ...a,
    outputRoot,
    async dispose() {
      await a.stop();
      rmSync(outputRoot, { recursive: true, force: true });
    },
  };
}
