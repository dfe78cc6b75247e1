import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, StvError } from '../../src/core/errors';

// Every error a user can see links to docs/troubleshooting.md#<code>; this keeps the links real.
describe('docs/troubleshooting.md', () => {
  const doc = readFileSync(join(__dirname, '../../../docs/troubleshooting.md'), 'utf8');
  const anchors = new Set(
    [...doc.matchAll(/^#{2,4}\s+(.+)$/gm)].map((m) => (m[1] ?? '').trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')),
  );
  for (const code of ERROR_CODES) {
    it(`has a section for ${code}`, () => {
      const anchor = new StvError(code, 'x').docsAnchor.split('#')[1] ?? '';
      assert.ok(anchors.has(anchor), `missing "### ${anchor}" in docs/troubleshooting.md`);
    });
  }
});
