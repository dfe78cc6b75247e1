import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeStaleScratch, scratchDirFor } from '../../src/core/render/scratch';

describe('scratch files after a crash (issue 14)', () => {
  it('removes what a process that is gone left, and nothing of a live one', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'stv-scratch-'));
    try {
      // A real process id that has just ended.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
        encoding: 'utf8',
      }).stdout;
      assert.match(dead, /^\d+$/);
      const staleDir = path.join(out, '.stv-tmp', `${dead}-job1`);
      const stalePart = path.join(out, 'lighthouse', `.stv-${dead}-abc.mp4.part`);
      const mine = scratchDirFor(out, 'job2');
      const livePart = path.join(out, 'lighthouse', `.stv-${process.pid}-def.mp4.part`);
      const finished = path.join(out, 'lighthouse', 'lighthouse_s1.mp4');
      for (const d of [staleDir, mine, path.dirname(stalePart)]) mkdirSync(d, { recursive: true });
      for (const f of [stalePart, livePart, finished, path.join(staleDir, 'download.mp4.part')]) writeFileSync(f, 'x');
      assert.equal(await removeStaleScratch(out), 2);
      assert.ok(!existsSync(staleDir) && !existsSync(stalePart));
      assert.ok(existsSync(mine) && existsSync(livePart) && existsSync(finished));
      assert.equal(await removeStaleScratch(out), 0, 'once per folder and process');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
