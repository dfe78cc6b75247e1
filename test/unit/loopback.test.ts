import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isLoopbackHostname, isLoopbackUrl } from '../../src/core/net/loopback';
import { attachedLocation } from '../../src/core/launch/mode';
import { repoRoot } from '../helpers/paths';

describe('the loopback rule (one for the whole extension)', () => {
  const loopback = [
    'http://127.0.0.1:8055',
    'http://127.0.0.2:8055',
    'http://127.255.255.254/',
    'http://localhost:8055',
    'http://LOCALHOST:8055/health',
    'http://localhost.:8055',
    'http://[::1]:8055',
    'http://[::ffff:127.0.0.1]:8055',
    'https://127.0.0.1',
  ];
  const remote = [
    'http://128.0.0.1:8055',
    'http://127.0.0.256:8055',
    'http://localhost.example.com:8055',
    'http://mylocalhost:8055',
    'http://0.0.0.0:8055',
    'http://[::2]:8055',
    'http://[::ffff:10.0.0.1]:8055',
    'http://192.168.1.20:8055',
    'not a url',
    '',
  ];
  for (const u of loopback) it(`${u} is this machine`, () => assert.equal(isLoopbackUrl(u), true));
  for (const u of remote) it(`${JSON.stringify(u)} is not`, () => assert.equal(isLoopbackUrl(u), false));

  it('takes a URL hostname as the WHATWG parser writes it', () => {
    assert.equal(isLoopbackHostname(new URL('http://[::1]:1/').hostname), true);
    assert.equal(isLoopbackHostname('::1'), true);
  });

  it('the status bar and the provider agree: a loopback endpoint is never called "remote"', () => {
    for (const u of loopback) assert.notEqual(attachedLocation(u, 'native', 'linux'), 'remote', u);
    for (const u of remote.slice(0, 8)) assert.equal(attachedLocation(u, 'native', 'linux'), 'remote', u);
  });

  it('is written once: no other source file lists loopback names of its own', () => {
    // A copy in src/vscode/render.ts once accepted only 127.0.0.1, localhost and [::1], so the
    // "start an adapter here" offer was missing for endpoints the adapter manager would start.
    const src = path.join(repoRoot, 'src');
    const copies = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && path.join('src', f) !== path.join('src', 'core', 'net', 'loopback.ts'))
      .filter((f) => /['"`](localhost|\[::1\]|::1)['"`]/.test(readFileSync(path.join(src, f), 'utf8')));
    assert.deepEqual(copies, [], 'use isLoopbackUrl / isLoopbackHostname from src/core/net/loopback.ts');
  });
});
