import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, StvError } from '../../src/core/errors';

// Every error a user can see links to docs/troubleshooting.md#<code>; this keeps the links real.
describe('docs/troubleshooting.md', () => {
  const doc = readFileSync(join(__dirname, '../../../docs/troubleshooting.md'), 'utf8');
  const anchors = new Set(
    [...doc.matchAll(/^#{2,4}\s+(.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  it('knows every code the adapter can answer with', () => {
    const py = readFileSync(join(__dirname, '../../../python/stv_adapter/errors.py'), 'utf8');
    const adapterCodes = [...py.matchAll(/^\s+"([A-Z_]+)": \d{3},$/gm)].map((m) => m[1]);
    assert.ok(adapterCodes.length >= 10, "parsed the adapter's STATUS_BY_CODE");
    for (const c of adapterCodes)
      assert.ok(
        (ERROR_CODES as readonly string[]).includes(c ?? ''),
        `${c} is not in ERROR_CODES (and so has no troubleshooting section)`,
      );
  });

  for (const code of ERROR_CODES) {
    it(`has a section for ${code}`, () => {
      const anchor = new StvError(code, 'x').docsAnchor.split('#')[1] ?? '';
      assert.ok(anchors.has(anchor), `missing "### ${anchor}" in docs/troubleshooting.md`);
    });
  }
});
