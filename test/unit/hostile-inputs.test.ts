/**
 * The hostile-input corpus on the TypeScript side (issue 14): timelines and keyframes a clumsy user
 * or an attacker could hand the CLI and the extension, each with the exit code and the words the
 * user must get. The adapter's corpus is python/tests/test_hostile.py.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli';
import { StvError } from '../../src/core/errors';
import {
  imageFormatOf,
  keyframeProblem,
  MAX_ASPECT_MISMATCH,
  MAX_KEYFRAME_PIXELS,
  readKeyframeImage,
  sniffImage,
} from '../../src/core/keyframeImage';
import { ComfyClient } from '../../src/core/providers/comfyui/client';
import { decodeTimelineBytes, loadTimelineFile, parseTimeline } from '../../src/core/timeline/load';
import { repoRoot } from '../helpers/paths';
import { startTestAdapter } from '../helpers/adapterProcess';
import { AdapterClient } from '../../src/core/providers/fastvideo/client';
import { FastVideoProvider } from '../../src/core/providers/fastvideo/provider';
import { captureIo } from '../helpers/cliIo';

const PNG = path.join(repoRoot, 'media/sample/keyframes/lighthouse.png');

function timeline(keyframe?: string, prompt = 'a lighthouse'): string {
  return JSON.stringify({
    version: 1,
    title: 't',
    scenes: [{ id: 'a', title: 'A', prompt, ...(keyframe ? { keyframe } : {}) }],
  });
}

async function validate(file: string): Promise<{ code: number; err: string; out: string }> {
  const c = captureIo();
  const code = await main(['validate', file], c.io);
  return { code, err: c.err(), out: c.out() };
}

/** A PNG header (signature + IHDR) declaring w x h; enough for sniffImage. */
function pngHeader(w: number, h: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'ascii');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  return b;
}

describe('hostile inputs: the CLI and the timeline loader', function () {
  this.timeout(30_000);
  let dir: string;
  let outside: string;
  beforeEach(() => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'stv-hostile-'));
    dir = path.join(base, 'project');
    outside = path.join(base, 'elsewhere');
    mkdirSync(path.join(dir, 'keyframes'), { recursive: true });
    mkdirSync(outside);
    copyFileSync(PNG, path.join(dir, 'keyframes/in.png'));
    copyFileSync(PNG, path.join(outside, 'out.png'));
    writeFileSync(path.join(outside, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  const write = (name: string, body: string | Buffer): string => {
    const f = path.join(dir, name);
    writeFileSync(f, body);
    return f;
  };

  // [case, file contents (or a builder), exit code, words on stderr]
  const corpus: [string, () => string | Buffer, number, RegExp][] = [
    [
      'UTF-16 with a byte order mark',
      () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(timeline(), 'utf16le')]),
      EXIT.badInput,
      /:1:1: error: The timeline is UTF-16 \(little-endian\) text, found by its byte order mark/,
    ],
    [
      'UTF-16 without a byte order mark',
      () => Buffer.from(timeline(), 'utf16le'),
      EXIT.badInput,
      /NUL byte at byte 1 \(line 1, column 2\).*UTF-16/,
    ],
    [
      'invalid UTF-8 in a prompt',
      () =>
        Buffer.concat([
          Buffer.from('{\n  "version": 1, "title": "t", "scenes": [{"id": "a", "prompt": "caf'),
          Buffer.from([0xe9]),
          Buffer.from('"}]}'),
        ]),
      EXIT.badInput,
      /:2:68: error: The timeline is not valid UTF-8: byte 0xe9 at byte 69 \(line 2, column 68\) cannot start/,
    ],
    [
      'an overlong UTF-8 form',
      () =>
        Buffer.concat([
          Buffer.from('{"version": 1, "title": "'),
          Buffer.from([0xc0, 0xaf]),
          Buffer.from('", "scenes": []}'),
        ]),
      EXIT.badInput,
      /byte 0xc0 at byte 25 \(line 1, column 26\)/,
    ],
    [
      '100,000 levels of nesting',
      () => '['.repeat(100_000) + ']'.repeat(100_000),
      EXIT.badInput,
      /nested more than 64 levels deep.*line 1, column 65/,
    ],
    ['nesting inside a string does not count', () => timeline(undefined, '['.repeat(1000)), EXIT.ok, /^$/],
    [
      'a keyframe symlinked to a text file outside',
      () => (
        symlinkSync(path.join(outside, 'passwd'), path.join(dir, 'keyframes/evil.png')),
        timeline('keyframes/evil.png')
      ),
      EXIT.badInput,
      /leads outside the timeline's folder \(to .*passwd\)[\s\S]*not a PNG, JPEG or WebP image by its content/,
    ],
    [
      'a keyframe that climbs out with ..',
      () => timeline('../elsewhere/out.png'),
      EXIT.ok,
      /warning: Keyframe "..\/elsewhere\/out.png" of scene "a" leads outside the timeline's folder/,
    ],
    [
      'a keyframe symlinked to an image outside',
      () => (
        symlinkSync(path.join(outside, 'out.png'), path.join(dir, 'keyframes/link.png')),
        timeline('keyframes/link.png')
      ),
      EXIT.ok,
      /warning: .*leads outside the timeline's folder \(to .*out\.png\)/,
    ],
    [
      'a symlinked folder outside',
      () => (symlinkSync(outside, path.join(dir, 'linked'), 'dir'), timeline('linked/out.png')),
      EXIT.ok,
      /warning: .*leads outside/,
    ],
    [
      'a text file named .png inside',
      () => (writeFileSync(path.join(dir, 'keyframes/fake.png'), 'not an image'), timeline('keyframes/fake.png')),
      EXIT.badInput,
      /not a PNG, JPEG or WebP image by its content/,
    ],
    ['an absolute path to /etc/passwd', () => timeline('/etc/passwd'), EXIT.badInput, /leads outside[\s\S]*not a PNG/],
    ['a keyframe inside, through .. that stays inside', () => timeline('keyframes/../keyframes/in.png'), EXIT.ok, /^$/],
  ];
  for (const [name, body, code, words] of corpus) {
    it(`validate: ${name}`, async function () {
      if (process.platform === 'win32' && /symlink/.test(name)) this.skip(); // symlinks need privileges there
      if (name.includes('/etc/passwd') && process.platform === 'win32') this.skip();
      const file = write('t.timeline.json', body());
      const r = await validate(file);
      assert.equal(r.code, code, r.err);
      assert.match(r.err, words);
    });
  }

  it('makes a keyframe outside the folder an error when the workspace is untrusted', () => {
    const file = write('t.timeline.json', timeline('../elsewhere/out.png'));
    const r = parseTimeline(readFileSync(file, 'utf8'), { timelineFile: file, keyframesOutside: 'error' });
    assert.equal(r.ok, false);
    const p = r.ok ? undefined : r.problems.find((x) => x.code === 'keyframe-outside');
    assert.equal(p?.severity, 'error');
    assert.match(p?.message ?? '', /not trusted/);
  });

  it('names encodings by their position', () => {
    const r = decodeTimelineBytes(Buffer.from([0x7b, 0x0a, 0x22, 0xf5, 0x80]));
    assert.deepEqual(r.ok ? undefined : r.offset, 3);
    assert.equal(decodeTimelineBytes(Buffer.from('{"a": "é"}')).ok, true);
  });

  it('never reads a deep timeline recursively (loadTimelineFile answers, no stack overflow)', async () => {
    const r = await loadTimelineFile(write('deep.timeline.json', '{"a":'.repeat(200_000)));
    assert.equal(r.ok, false);
    assert.equal(r.ok ? '' : r.problems[0]?.code, 'too-deep');
  });
});

describe('hostile inputs: keyframe bytes before any upload', () => {
  it('tells images by their magic bytes and sizes from their headers', () => {
    const png = readFileSync(PNG);
    assert.equal(imageFormatOf(png), 'png');
    assert.equal(sniffImage(png)?.format, 'png');
    assert.equal(imageFormatOf(Buffer.from('root:x:0:0')), undefined);
    assert.equal(imageFormatOf(Buffer.from('GIF89a')), undefined);
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x00, 0x02, 0x00, 0x03, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    assert.deepEqual(sniffImage(jpeg), { format: 'jpeg', width: 512, height: 256 });
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'ascii');
    webp.write('WEBPVP8X', 8, 'ascii');
    webp.writeUIntLE(639, 24, 3);
    webp.writeUIntLE(351, 27, 3);
    assert.deepEqual(sniffImage(webp), { format: 'webp', width: 640, height: 352 });
  });

  const cases: [string, Buffer, { width: number; height: number } | undefined, RegExp | undefined][] = [
    ['a text file', Buffer.from('root:x:0:0:root:/root:/bin/bash\n'), undefined, /not a PNG, JPEG or WebP/],
    [
      'a 20000x1 sliver for a square render',
      pngHeader(20000, 1),
      { width: 256, height: 256 },
      /20000x1 pixels, 20000 times wider or taller than the 256x256 render; at most 10/,
    ],
    ['a 1x20000 sliver, render unknown', pngHeader(1, 20000), undefined, /an aspect ratio of 20000:1; at most 75/],
    ['a 10:1 keyframe for a square render', pngHeader(2560, 256), { width: 256, height: 256 }, undefined],
    ['over the pixel bound', pngHeader(8000, 6000), undefined, /more than the 40,000,000-pixel bound/],
    ['a zero-size header', pngHeader(0, 10), undefined, /declares a 0x10 image/],
  ];
  for (const [name, bytes, render, words] of cases) {
    it(`keyframeProblem: ${name}`, () => {
      const p = keyframeProblem(bytes, 'k.png', render);
      if (words) assert.match(p ?? '', words);
      else assert.equal(p, undefined);
    });
  }

  it('uploads nothing to ComfyUI that is not an image (refused before any connection)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stv-upload-'));
    try {
      const fake = path.join(dir, 'k.png');
      writeFileSync(fake, 'root:x:0:0:root:/root:/bin/bash\n');
      // Port 9 answers nothing: reaching the network would be UNREACHABLE, not INVALID_REQUEST.
      await assert.rejects(
        new ComfyClient('http://127.0.0.1:9').uploadImage(fake),
        (e: unknown) => e instanceof StvError && e.code === 'INVALID_REQUEST' && /not a PNG/.test(e.message),
      );
      await assert.rejects(
        readKeyframeImage(fake),
        (e: unknown) => e instanceof StvError && e.code === 'INVALID_REQUEST',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses the same bounds as the adapter', () => {
    const py = readFileSync(path.join(repoRoot, 'python/stv_adapter/keyframe.py'), 'utf8');
    const cfg = readFileSync(path.join(repoRoot, 'python/stv_adapter/config.py'), 'utf8');
    assert.equal(Number(/^MAX_ASPECT_MISMATCH = ([\d.]+)/m.exec(py)?.[1]), MAX_ASPECT_MISMATCH);
    assert.equal(Number(/max_keyframe_pixels: int = ([\d_]+)/.exec(cfg)?.[1]?.replace(/_/g, '')), MAX_KEYFRAME_PIXELS);
  });
});

describe('hostile inputs: a token adapter and a client without its token', function () {
  this.timeout(60_000);
  it('learns only that the adapter is alive, said as UNAUTHORIZED with the fix', async () => {
    const a = await startTestAdapter({ token: 'hostile-test-token' });
    try {
      await assert.rejects(
        new AdapterClient({ endpoint: a.url }).health(),
        (e: unknown) =>
          e instanceof StvError && e.code === 'UNAUTHORIZED' && /running but requires a token/.test(e.message),
      );
      // The provider calls it up but unusable ('degraded'), so the extension attaches instead of
      // starting a second adapter on the same port; renders then fail with UNAUTHORIZED and its fix.
      const seen = await new FastVideoProvider({ endpoint: a.url }).health();
      assert.equal(seen.state, 'degraded');
      assert.equal(seen.error?.code, 'UNAUTHORIZED');
      const h = await new AdapterClient({ endpoint: a.url, token: 'hostile-test-token' }).health();
      assert.equal(h.backend, 'preview');
    } finally {
      await a.dispose();
    }
  });
});
