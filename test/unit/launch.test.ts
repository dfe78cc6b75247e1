import * as assert from 'node:assert/strict';
import { StvError } from '../../src/core/errors';
import {
  WSL_DEFAULT_PYTHON,
  buildAdapterLaunch,
  toShellCommandLine,
  type AdapterLaunchConfig,
} from '../../src/core/launch/adapterLaunch';
import { attachedLocation, chooseLaunchMode, describeLocation } from '../../src/core/launch/mode';
import { checkWsl, decodeWslOutput, parseWslList, type WslDistro, type WslProbe } from '../../src/core/launch/wslProbe';

describe('launch mode per platform', () => {
  it('auto: WSL on Windows when present, native otherwise; native on Linux and macOS', () => {
    assert.deepEqual(chooseLaunchMode('auto', 'win32', true), { mode: 'wsl' });
    const noWsl = chooseLaunchMode('auto', 'win32', false);
    assert.equal(noWsl.mode, 'native');
    assert.match(noWsl.note ?? '', /wsl --install/);
    assert.deepEqual(chooseLaunchMode('auto', 'linux', false), { mode: 'native' });
    assert.deepEqual(chooseLaunchMode('auto', 'darwin', false), { mode: 'native' });
    assert.match(chooseLaunchMode('native', 'win32', true).note ?? '', /does not run natively on Windows/);
    assert.deepEqual(chooseLaunchMode('wsl', 'win32', true), { mode: 'wsl' });
    assert.equal(describeLocation('wsl', 'Ubuntu-24.04'), 'WSL2: Ubuntu-24.04');
    assert.equal(describeLocation('native'), 'native');
  });

  it("an attached adapter's location from settings alone: launch=wsl means WSL on Windows only", () => {
    const local = 'http://127.0.0.1:8055';
    assert.equal(attachedLocation(local, 'wsl', 'win32', 'Ubuntu'), 'WSL2: Ubuntu');
    assert.equal(attachedLocation(local, 'wsl', 'linux', 'Ubuntu'), 'native');
    assert.equal(attachedLocation(local, 'native', 'win32'), 'native');
    assert.equal(attachedLocation(local, 'auto', 'linux'), 'native');
    assert.equal(attachedLocation(local, 'auto', 'win32'), undefined); // WSL present or not: only a start tells
    assert.equal(attachedLocation('http://localhost:8055/', 'auto', 'linux'), 'native');
    assert.equal(attachedLocation('http://[::1]:8055', 'auto', 'linux'), 'native');
    assert.equal(attachedLocation('http://192.168.1.20:8055', 'wsl', 'win32'), 'remote');
    assert.equal(attachedLocation('http://localhost.example.com:8055', 'auto', 'linux'), 'remote');
  });
});

describe('adapter launch command lines', () => {
  const base: AdapterLaunchConfig = {
    platform: 'win32',
    mode: 'native',
    pythonPath: 'C:\\Users\\Ana Lia\\AppData\\Local\\SceneToVideo\\venv\\Scripts\\python.exe',
    host: '127.0.0.1',
    port: 8055,
    backend: 'fastvideo',
    modelId: 'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
    extraEnv: { STV_ADAPTER_TOKEN: 's3cret' },
  };

  it('native: argv without a shell; the token only in the environment', () => {
    const plan = buildAdapterLaunch(base);
    assert.equal(plan.executable, base.pythonPath);
    assert.deepEqual(plan.args.slice(0, 9), [
      '-m',
      'stv_adapter',
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '8055',
      '--backend',
      'fastvideo',
    ]);
    assert.ok(!plan.args.join(' ').includes('s3cret'));
    assert.equal(plan.env.STV_ADAPTER_TOKEN, 's3cret');
  });

  it('WSL: wsl.exe --exec the Linux python, 127.0.0.1, paths translated, token forwarded through WSLENV', () => {
    const plan = buildAdapterLaunch({
      ...base,
      mode: 'wsl',
      wslDistro: 'Ubuntu-24.04',
      pythonPath: WSL_DEFAULT_PYTHON,
      modelPath: 'D:\\models\\FastWan 5B',
      outputRoot: '\\\\wsl$\\Ubuntu-24.04\\home\\ana\\out',
    });
    assert.equal(plan.executable, 'wsl.exe');
    assert.deepEqual(plan.args.slice(0, 6), [
      '-d',
      'Ubuntu-24.04',
      '--cd',
      '~',
      '--exec',
      '.scene-to-video/venv/bin/python',
    ]);
    assert.ok(plan.args.includes('127.0.0.1') && !plan.args.includes('0.0.0.0'));
    assert.equal(plan.args[plan.args.indexOf('--model-path') + 1], '/mnt/d/models/FastWan 5B');
    assert.equal(plan.args[plan.args.indexOf('--output-root') + 1], '/home/ana/out');
    assert.match(plan.env.WSLENV ?? '', /(^|:)STV_ADAPTER_TOKEN\/u$/);
    assert.ok(!plan.args.join(' ').includes('s3cret'));
  });

  it('renders each plan for PowerShell, cmd and bash, quoted', () => {
    const plan = buildAdapterLaunch({ ...base, extraEnv: {}, modelPath: "C:\\models\\Ana's 5B" });
    const ps = toShellCommandLine(plan, 'pwsh');
    assert.ok(
      ps.startsWith(
        "& 'C:\\Users\\Ana Lia\\AppData\\Local\\SceneToVideo\\venv\\Scripts\\python.exe' -m stv_adapter serve",
      ),
      ps,
    );
    assert.ok(ps.includes("'C:\\models\\Ana''s 5B'"), ps);
    const cmd = toShellCommandLine(plan, 'cmd');
    // cmd finds the program from the first token, where only plain double quotes hold a space.
    assert.ok(
      cmd.startsWith('"C:\\Users\\Ana Lia\\AppData\\Local\\SceneToVideo\\venv\\Scripts\\python.exe" -m stv_adapter'),
      cmd,
    );
    assert.ok(cmd.endsWith(`--model-path ^"C:\\models\\Ana's 5B^"`), cmd);
    const wsl = buildAdapterLaunch({
      ...base,
      mode: 'wsl',
      wslDistro: 'Ubuntu',
      pythonPath: WSL_DEFAULT_PYTHON,
      extraEnv: {},
    });
    // '~' is quoted: wsl.exe must expand it inside Linux, not the shell the line is typed into.
    assert.equal(
      toShellCommandLine(wsl, 'bash').split(' ').slice(0, 8).join(' '),
      "wsl.exe -d Ubuntu --cd '~' --exec .scene-to-video/venv/bin/python -m",
    );
    assert.ok(!toShellCommandLine(buildAdapterLaunch(base), 'pwsh').includes('s3cret'), 'never print the token');
  });
});

describe('WSL checks (wsl.exe replaced by a fake)', () => {
  const listing =
    '  NAME            STATE           VERSION\r\n* Ubuntu-24.04    Running         2\r\n  Legacy          Stopped         1\r\n';
  it('parses `wsl -l -v` in UTF-16LE and UTF-8', () => {
    const expected: WslDistro[] = [
      { name: 'Ubuntu-24.04', state: 'Running', version: 2, isDefault: true },
      { name: 'Legacy', state: 'Stopped', version: 1, isDefault: false },
    ];
    assert.deepEqual(parseWslList(decodeWslOutput(Buffer.from(`\uFEFF${listing}`, 'utf16le'))), expected);
    assert.deepEqual(parseWslList(decodeWslOutput(Buffer.from(listing, 'utf8'))), expected);
  });

  const fake = (o: { available?: boolean; distros?: WslDistro[]; gpu?: boolean }): WslProbe => ({
    available: () => Promise.resolve(o.available ?? true),
    distros: () => Promise.resolve(o.distros ?? parseWslList(listing)),
    hasGpu: () => Promise.resolve(o.gpu ?? true),
  });
  const rejectsWith = (p: Promise<unknown>, re: RegExp) =>
    assert.rejects(
      p,
      (e: unknown) => e instanceof StvError && e.code === 'WSL_UNAVAILABLE' && re.test(`${e.message} ${e.hint}`),
    );

  it('gives each missing piece its own message and fix', async () => {
    await rejectsWith(checkWsl(fake({ available: false }), '', { needGpu: true }), /wsl --install/);
    await rejectsWith(
      checkWsl(fake({ distros: [] }), '', { needGpu: true }),
      /no Linux distribution.*wsl --install -d/,
    );
    await rejectsWith(
      checkWsl(fake({}), 'Arch', { needGpu: true }),
      /"Arch" is not installed \(installed: Ubuntu-24.04, Legacy\)/,
    );
    await rejectsWith(checkWsl(fake({}), 'Legacy', { needGpu: false }), /WSL1.*wsl --set-version Legacy 2/);
    await rejectsWith(
      checkWsl(fake({ gpu: false }), '', { needGpu: true }),
      /No NVIDIA GPU is visible inside "Ubuntu-24.04".*Windows/,
    );
    assert.equal(
      (await checkWsl(fake({ gpu: false }), '', { needGpu: false })).name,
      'Ubuntu-24.04',
      'the preview backend needs no GPU',
    );
    assert.equal((await checkWsl(fake({}), 'ubuntu-24.04', { needGpu: true })).name, 'Ubuntu-24.04');
  });
});
