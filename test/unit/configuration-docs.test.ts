import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../../..');

describe('docs/configuration.md', () => {
  it('is exactly what scripts/gen-config-docs.mjs generates from package.json', () => {
    // The generator is an ES module; run it as the contributor would, in --check mode.
    try {
      execFileSync(process.execPath, [join(root, 'scripts/gen-config-docs.mjs'), '--check'], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      assert.fail(err.stderr?.toString() || String(e));
    }
  });

  it('documents every contributed setting with a description and a default', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes?: {
        configuration?:
          | { properties?: Record<string, { description?: string; markdownDescription?: string; default?: unknown }> }
          | {
              properties?: Record<string, { description?: string; markdownDescription?: string; default?: unknown }>;
            }[];
      };
    };
    const sections = [manifest.contributes?.configuration ?? []].flat();
    const doc = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
    for (const section of sections) {
      for (const [key, p] of Object.entries(section.properties ?? {})) {
        assert.ok(p.description ?? p.markdownDescription, `${key} has no description in package.json`);
        assert.notEqual(p.default, undefined, `${key} has no default in package.json`);
        assert.ok(doc.includes(`\`${key}\``), `${key} missing from docs/configuration.md`);
      }
    }
  });
});
