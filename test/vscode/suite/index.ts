/**
 * Entry point of the mocha suite that runs INSIDE a real VS Code extension host (code-server,
 * started by test/vscode/harness.mjs; @vscode/test-electron can load it the same way).
 * STV_SUITE picks the files: `trusted` (default) or `untrusted`.
 */
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  const which = process.env.STV_SUITE ?? 'trusted';
  for (const f of readdirSync(__dirname)) if (f.endsWith(`.${which}.test.js`)) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) =>
    mocha.run((failures) => (failures ? reject(new Error(`${failures} test(s) failed`)) : resolve())),
  );
}
