import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { isVisibleFrom, windowsToWsl, wslToWindows } from '../../src/core/launch/wslPaths';

describe('Windows → WSL paths (wslpath -u)', () => {
  const table: [string, string][] = [
    ['C:\\Users\\Ana Lia\\clip.png', '/mnt/c/Users/Ana Lia/clip.png'],
    ['c:\\Users\\ana\\clip.png', '/mnt/c/Users/ana/clip.png'],
    ['D:\\Vidéos\\雪 scene\\k.png', '/mnt/d/Vidéos/雪 scene/k.png'],
    ['c:/projects/film/renders', '/mnt/c/projects/film/renders'],
    ['C:\\mixed/slashes\\here', '/mnt/c/mixed/slashes/here'],
    ["C:\\it's $HOME & 100%\\x", "/mnt/c/it's $HOME & 100%/x"],
    ['C:\\trailing\\', '/mnt/c/trailing'],
    ['C:\\double\\\\sep', '/mnt/c/double/sep'],
    ['E:\\', '/mnt/e'],
    ['E:', '/mnt/e'],
    ['\\\\?\\C:\\very\\long\\path', '/mnt/c/very/long/path'],
    ['\\\\wsl$\\Ubuntu\\home\\ana\\out', '/home/ana/out'],
    ['\\\\wsl.localhost\\Ubuntu\\home\\ana', '/home/ana'],
    ['//wsl.localhost/Ubuntu/home/ana', '/home/ana'],
    ['\\\\WSL$\\ubuntu\\home', '/home'],
    ['\\\\wsl.localhost\\Ubuntu', '/'],
    ['\\\\wsl.localhost\\Ubuntu\\', '/'],
  ];
  for (const [win, linux] of table)
    it(`${win} → ${linux}`, () => assert.deepEqual(windowsToWsl(win, 'Ubuntu'), { ok: true, path: linux }));

  it('honours another automount root (/etc/wsl.conf)', () => {
    assert.deepEqual(windowsToWsl('C:\\x', undefined, { mountRoot: '/' }), { ok: true, path: '/c/x' });
    assert.deepEqual(windowsToWsl('C:\\x', undefined, { mountRoot: '/win' }), { ok: true, path: '/win/c/x' });
  });

  const refused: [string, RegExp][] = [
    ['\\\\nas\\share\\clip.mp4', /network share/],
    ['//nas/share/clip.mp4', /network share/],
    ['\\\\?\\UNC\\nas\\share\\x', /network share/],
    ['relative\\path.png', /not an absolute Windows path/],
    ['.\\x.png', /not an absolute Windows path/],
    ['..\\x.png', /not an absolute Windows path/],
    ['', /not an absolute Windows path/],
    ['C:relative', /relative to the current folder of drive C:/],
    ['\\Users\\x', /no drive letter/],
    ['\\\\wsl$\\Debian\\home\\x', /"Debian", not in "Ubuntu"/],
  ];
  for (const [p, why] of refused)
    it(`refuses ${JSON.stringify(p)} and says why`, () => {
      const t = windowsToWsl(p, 'Ubuntu');
      assert.equal(t.ok, false);
      assert.match(t.ok ? '' : t.reason, why);
    });
});

describe('WSL → Windows paths (wslpath -w)', () => {
  const table: [string, string][] = [
    ['/mnt/c/Users/Ana Lia/clip.png', 'C:\\Users\\Ana Lia\\clip.png'],
    ['/mnt/d', 'D:\\'],
    ['/mnt/d/', 'D:\\'],
    ['/mnt/c/Vidéos/雪/k.png', 'C:\\Vidéos\\雪\\k.png'],
    [
      '/home/ana/.scene-to-video/outputs/a.mp4',
      '\\\\wsl.localhost\\Ubuntu-24.04\\home\\ana\\.scene-to-video\\outputs\\a.mp4',
    ],
    ['/mnt/wsl/shared', '\\\\wsl.localhost\\Ubuntu-24.04\\mnt\\wsl\\shared'],
    ['/mnt/C/upper', '\\\\wsl.localhost\\Ubuntu-24.04\\mnt\\C\\upper'],
    ['/', '\\\\wsl.localhost\\Ubuntu-24.04\\'],
  ];
  for (const [linux, win] of table)
    it(`${linux} → ${win}`, () => assert.deepEqual(wslToWindows(linux, 'Ubuntu-24.04'), { ok: true, path: win }));

  it('refuses what Windows cannot name, with the reason', () => {
    for (const [p, why] of [
      ['relative/x', /not an absolute Linux path/],
      ['/home/ana/what?.mp4', /characters that Windows paths cannot hold/],
      ['/home/ana/a:b', /characters/],
      ['/home/ana/back\\slash', /characters/],
    ] as const) {
      const t = wslToWindows(p, 'Ubuntu');
      assert.equal(t.ok, false, p);
      assert.match(t.ok ? '' : t.reason, why);
    }
    assert.match(JSON.stringify(wslToWindows('/home/x', '')), /no distribution is named/);
    assert.deepEqual(wslToWindows('/mnt/c/x', ''), { ok: true, path: 'C:\\x' }, 'drive paths need no distribution');
  });

  it('round-trips drive paths and Linux paths (property)', () => {
    const seg = fc
      .string({ unit: fc.constantFrom(..."aZ9 ._-'$%&()é雪".split('')), minLength: 1, maxLength: 8 })
      .filter((s) => s.trim() === s && s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.constantFrom(...'cdez'.split('')), fc.array(seg, { maxLength: 5 }), (drive, segs) => {
        const win = `${drive.toUpperCase()}:\\${segs.join('\\')}`;
        const there = windowsToWsl(win);
        assert.ok(there.ok);
        assert.deepEqual(wslToWindows(there.path, 'Ubuntu'), { ok: true, path: win });
        const linux = `/home/${segs.join('/')}`.replace(/\/$/, '');
        const back = wslToWindows(linux, 'Ubuntu');
        assert.ok(back.ok);
        assert.deepEqual(windowsToWsl(back.path, 'Ubuntu'), { ok: true, path: linux });
      }),
    );
  });
});

describe('isVisibleFrom', () => {
  it('says which side can open a path without copying', () => {
    assert.equal(isVisibleFrom('C:\\x.png', 'wsl'), true);
    assert.equal(isVisibleFrom('C:\\x.png', 'windows'), true);
    assert.equal(isVisibleFrom('\\\\nas\\share\\x', 'wsl'), false, 'network shares: fetch over HTTP');
    assert.equal(isVisibleFrom('\\\\nas\\share\\x', 'windows'), true);
    assert.equal(isVisibleFrom('/home/ana/x.mp4', 'wsl'), true);
    assert.equal(isVisibleFrom('/home/ana/x.mp4', 'windows', 'Ubuntu'), true);
    assert.equal(isVisibleFrom('/home/ana/x.mp4', 'windows'), false, 'which distribution is unknown');
    assert.equal(isVisibleFrom('/home/ana/x?.mp4', 'windows', 'Ubuntu'), false);
    assert.equal(isVisibleFrom('/mnt/c/x.mp4', 'windows'), true);
    assert.equal(isVisibleFrom('\\\\wsl$\\Debian\\x', 'wsl', 'Ubuntu'), false);
    assert.equal(isVisibleFrom('relative\\x', 'wsl'), false);
    assert.equal(isVisibleFrom('relative\\x', 'windows'), false);
  });
});
