/**
 * The WSL probe. wsl.exe cannot run here, so RealWslProbe — the real code, with its real
 * child-process calls — runs against a stand-in wsl.exe (a shell script) that answers the way
 * wsl.exe does: UTF-16LE tables (UTF-8 when WSL_UTF8=1 is honoured), failing exit codes with a
 * message, and `-d <distro> --exec <program> <args>` that really executes the program (here a
 * stand-in nvidia-smi), so the arguments we pass are checked by a real `sh -c`.
 */
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { StvError } from '../../src/core/errors';
import {
  RealWslProbe,
  checkWsl,
  decodeWslOutput,
  parseWslList,
  type WslDistro,
  type WslProbe,
} from '../../src/core/launch/wslProbe';

const TABLE =
  '  NAME            STATE           VERSION\r\n* Ubuntu-24.04    Running         2\r\n  Legacy          Stopped         1\r\n  docker-desktop  Installing      2\r\n';
const PARSED: WslDistro[] = [
  { name: 'Ubuntu-24.04', state: 'Running', version: 2, isDefault: true },
  { name: 'Legacy', state: 'Stopped', version: 1, isDefault: false },
  { name: 'docker-desktop', state: 'Installing', version: 2, isDefault: false },
];

describe('wsl -l -v output', () => {
  it('decodes UTF-16LE with and without BOM, and UTF-8', () => {
    assert.deepEqual(parseWslList(decodeWslOutput(Buffer.from(`\uFEFF${TABLE}`, 'utf16le'))), PARSED);
    assert.deepEqual(parseWslList(decodeWslOutput(Buffer.from(TABLE, 'utf16le'))), PARSED);
    assert.deepEqual(parseWslList(decodeWslOutput(Buffer.from(TABLE, 'utf8'))), PARSED);
    assert.deepEqual(parseWslList(decodeWslOutput(Buffer.from(`\uFEFF${TABLE}`, 'utf8'))), PARSED);
  });
  it('ignores the header, blank lines and anything that is not a row', () => {
    assert.deepEqual(parseWslList('Windows Subsystem for Linux has no installed distributions.\r\n\r\n'), []);
    assert.deepEqual(parseWslList(''), []);
  });
});

describe('RealWslProbe against a stand-in wsl.exe (real processes)', () => {
  let dir: string;
  let wsl: string;
  const probe = () => new RealWslProbe({ executable: wsl, platform: 'win32' });

  before(function () {
    if (process.platform === 'win32') this.skip(); // the stand-in is a POSIX shell script
    dir = mkdtempSync(path.join(tmpdir(), 'stv-wsl-'));
    wsl = path.join(dir, 'wsl.exe');
    writeFileSync(path.join(dir, 'table.txt'), TABLE);
    // The stand-in: FAKE_* variables choose its answers; it logs its argv for the assertions.
    writeFileSync(
      wsl,
      `#!/bin/sh
printf '%s\\n' "$@" > "${dir}/argv.txt"
enc() { if [ "$WSL_UTF8" = 1 ] && [ "$FAKE_HONOURS_UTF8" = 1 ]; then cat; else iconv -f UTF-8 -t UTF-16LE; fi; }
case "$1" in
  --status) [ "$FAKE_STATUS" = fail ] && { echo 'WSL is not installed' | enc; exit 1; }; echo 'Default Distribution: Ubuntu-24.04' | enc; exit 0 ;;
  -l) if [ "$FAKE_LIST" = none ]; then printf 'Windows Subsystem for Linux has no installed distributions.\\r\\n' | enc; exit 255; fi
      cat "${dir}/table.txt" | enc; exit 0 ;;
  -d) [ "$3" = --exec ] || { echo "expected --exec" >&2; exit 2; }
      shift 3
      # Inside "WSL", /usr/lib/wsl/lib is this folder; the default PATH lacks it, as --exec's may.
      for a do set -- "$@" "$(printf '%s' "$a" | sed "s#/usr/lib/wsl/lib#${dir}/wsllib#g")"; shift; done
      PATH=/usr/bin:/bin exec "$@" ;;
esac
echo "unknown $*" >&2; exit 1
`,
    );
    chmodSync(wsl, 0o755);
    // A stand-in nvidia-smi in the folder that plays /usr/lib/wsl/lib.
    mkdirSync(path.join(dir, 'wsllib'));
    const smi = path.join(dir, 'wsllib', 'nvidia-smi');
    writeFileSync(
      smi,
      '#!/bin/sh\n[ "$FAKE_GPU" = 0 ] && { echo "No devices were found"; exit 6; }\n[ "$1" = -L ] && echo "GPU 0: NVIDIA GeForce RTX 4090 (UUID: GPU-1234)"\n',
    );
    chmodSync(smi, 0o755);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    for (const k of ['FAKE_STATUS', 'FAKE_LIST', 'FAKE_GPU', 'FAKE_HONOURS_UTF8'])
      Reflect.deleteProperty(process.env, k);
  });

  it('available(): true when `wsl --status` succeeds, false when it fails, is missing, or not on Windows', async () => {
    assert.equal(await probe().available(), true);
    process.env.FAKE_STATUS = 'fail';
    assert.equal(await probe().available(), false);
    assert.equal(
      await new RealWslProbe({ executable: path.join(dir, 'missing.exe'), platform: 'win32' }).available(),
      false,
    );
    assert.equal(await new RealWslProbe({ executable: wsl, platform: 'linux' }).available(), false);
  });

  it('distros(): the UTF-16 table, or the UTF-8 one when WSL_UTF8 is honoured', async () => {
    assert.deepEqual(await probe().distros(), PARSED);
    process.env.FAKE_HONOURS_UTF8 = '1';
    assert.deepEqual(await probe().distros(), PARSED);
  });

  it('distros(): no distribution → WSL_UNAVAILABLE quoting wsl.exe and naming the fix', async () => {
    process.env.FAKE_LIST = 'none';
    await assert.rejects(
      probe().distros(),
      (e: unknown) =>
        e instanceof StvError &&
        e.code === 'WSL_UNAVAILABLE' &&
        /no installed distributions/.test(e.message) &&
        /wsl --install -d Ubuntu-24.04/.test(e.hint ?? ''),
    );
    await assert.rejects(
      new RealWslProbe({ executable: path.join(dir, 'missing.exe'), platform: 'win32' }).distros(),
      (e: unknown) => e instanceof StvError && /failed/.test(e.message),
    );
  });

  it('hasGpu(): runs nvidia-smi -L inside the distribution, found through /usr/lib/wsl/lib', async () => {
    assert.equal(await probe().hasGpu('Ubuntu-24.04'), true);
    const argv = readFileSync(path.join(dir, 'argv.txt'), 'utf8').trim().split('\n');
    assert.deepEqual(argv.slice(0, 5), ['-d', 'Ubuntu-24.04', '--exec', 'sh', '-c']);
    process.env.FAKE_GPU = '0';
    assert.equal(await probe().hasGpu('Ubuntu-24.04'), false);
  });
});

describe('checkWsl: each missing piece has its own message and fix', () => {
  const fake = (o: { available?: boolean; distros?: WslDistro[]; gpu?: boolean }): WslProbe => ({
    available: () => Promise.resolve(o.available ?? true),
    distros: () => Promise.resolve(o.distros ?? PARSED),
    hasGpu: () => Promise.resolve(o.gpu ?? true),
  });
  const rejectsWith = (p: Promise<unknown>, re: RegExp) =>
    assert.rejects(
      p,
      (e: unknown) => e instanceof StvError && e.code === 'WSL_UNAVAILABLE' && re.test(`${e.message} ${e.hint}`),
    );

  it('no WSL, no distribution, unknown distribution, WSL1, no GPU', async () => {
    await rejectsWith(checkWsl(fake({ available: false }), '', { needGpu: true }), /not installed.*wsl --install/);
    await rejectsWith(
      checkWsl(fake({ distros: [] }), '', { needGpu: true }),
      /no Linux distribution.*wsl --install -d/,
    );
    await rejectsWith(
      checkWsl(fake({}), 'Arch', { needGpu: true }),
      /"Arch" is not installed \(installed: Ubuntu-24.04, Legacy, docker-desktop\).*fastVideo.wslDistro/,
    );
    await rejectsWith(checkWsl(fake({}), 'Legacy', { needGpu: false }), /WSL1.*wsl --set-version Legacy 2/);
    await rejectsWith(
      checkWsl(fake({ gpu: false }), '', { needGpu: true }),
      /No NVIDIA GPU is visible inside "Ubuntu-24.04".*NVIDIA driver on Windows.*wsl --shutdown/,
    );
  });

  it('picks the named distribution (any case), else the default; the preview backend needs no GPU', async () => {
    assert.equal((await checkWsl(fake({ gpu: false }), '', { needGpu: false })).name, 'Ubuntu-24.04');
    assert.equal((await checkWsl(fake({}), ' ubuntu-24.04 ', { needGpu: true })).name, 'Ubuntu-24.04');
    assert.equal(
      (await checkWsl(fake({ distros: PARSED.map((d) => ({ ...d, isDefault: false })) }), '', { needGpu: true })).name,
      'Ubuntu-24.04',
      'no default marked: the first',
    );
  });
});
