import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { StvError } from '../../src/core/errors';
import {
  WSL_DEFAULT_PYTHON,
  buildAdapterLaunch,
  buildWslLaunch,
  forwardToWsl,
  toShellCommandLine,
  wslPython,
  type AdapterLaunchConfig,
} from '../../src/core/launch/adapterLaunch';
import { chooseLaunchMode, describeLocation } from '../../src/core/launch/mode';

const base: AdapterLaunchConfig = {
  platform: 'win32',
  mode: 'wsl',
  wslDistro: 'Ubuntu-24.04',
  pythonPath: '',
  host: '0.0.0.0',
  port: 8055,
  backend: 'fastvideo',
  modelId: 'FastVideo/FastWan2.2-TI2V-5B-Diffusers',
  extraEnv: { STV_ADAPTER_TOKEN: 's3cret' },
};
const wsl = (over: Partial<AdapterLaunchConfig> = {}, inheritedWslenv?: string) =>
  buildWslLaunch({ ...base, ...over, inheritedWslenv });
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('WSL launch plan', () => {
  it('wsl.exe -d <distro> --cd ~ --exec <linux python> -m stv_adapter serve, always on 127.0.0.1', () => {
    const plan = wsl();
    assert.equal(plan.executable, 'wsl.exe');
    assert.deepEqual(plan.args.slice(0, 9), [
      '-d',
      'Ubuntu-24.04',
      '--cd',
      '~',
      '--exec',
      WSL_DEFAULT_PYTHON,
      '-m',
      'stv_adapter',
      'serve',
    ]);
    assert.equal(argAfter(plan.args, '--host'), '127.0.0.1', 'never 0.0.0.0, even when asked');
    assert.ok(!plan.args.includes('0.0.0.0'));
    assert.equal(describeLocation('wsl', 'Ubuntu-24.04'), 'WSL2: Ubuntu-24.04');
  });

  it('the token: in the environment, forwarded by WSLENV with /u, never in argv or a printed line', () => {
    const plan = wsl({}, 'USERPROFILE/p');
    assert.equal(plan.env.STV_ADAPTER_TOKEN, 's3cret');
    assert.equal(plan.env.WSLENV, 'USERPROFILE/p:STV_ADAPTER_TOKEN/u', 'keeps what the user forwards already');
    assert.ok(!plan.args.join(' ').includes('s3cret'));
    for (const shell of ['bash', 'pwsh', 'powershell', 'cmd'] as const)
      assert.ok(!toShellCommandLine(plan, shell).includes('s3cret'), shell);
    assert.equal(wsl({}, 'STV_ADAPTER_TOKEN/u').env.WSLENV, 'STV_ADAPTER_TOKEN/u', 'not listed twice');
    assert.equal(wsl({ extraEnv: {} }, '').env.WSLENV, undefined, 'nothing to forward: WSLENV untouched');
    assert.equal(forwardToWsl(['A', 'B'], 'A/p'), 'A/p:B/u');
  });

  it('translates Windows paths given to the adapter; Linux paths and ~ pass as they are', () => {
    const plan = wsl({
      modelPath: 'D:\\models\\FastWan 5B',
      outputRoot: '\\\\wsl$\\Ubuntu-24.04\\home\\ana\\out',
      artifactsDir: 'C:\\Users\\Ana Lia\\proj\\artifacts',
    });
    assert.equal(argAfter(plan.args, '--model-path'), '/mnt/d/models/FastWan 5B');
    assert.equal(argAfter(plan.args, '--output-root'), '/home/ana/out');
    assert.equal(argAfter(plan.args, '--artifacts-dir'), '/mnt/c/Users/Ana Lia/proj/artifacts');
    assert.equal(argAfter(wsl({ modelPath: '/home/ana/models/x' }).args, '--model-path'), '/home/ana/models/x');
    assert.equal(
      argAfter(wsl({ modelPath: '~/models/x' }).args, '--model-path'),
      '~/models/x',
      'the adapter expands ~ itself',
    );
  });

  it('a model folder WSL cannot see is an error that says what to do; an output folder falls back with a warning', () => {
    assert.throws(
      () => wsl({ modelPath: '\\\\nas\\models\\fastwan' }),
      (e: unknown) =>
        e instanceof StvError &&
        e.code === 'SETTINGS_INVALID' &&
        /network share/.test(e.message) &&
        /Linux path/.test(e.hint ?? ''),
    );
    assert.throws(
      () => wsl({ modelPath: 'models\\fastwan' }),
      (e: unknown) => e instanceof StvError && /not an absolute Windows path/.test(e.message),
    );
    const plan = wsl({ outputRoot: '\\\\nas\\renders' });
    assert.ok(!plan.args.includes('--output-root'));
    assert.match(plan.warnings?.join(' ') ?? '', /not visible inside WSL.*over HTTP/);
    assert.equal(wsl().warnings, undefined);
  });

  it('the Linux python: default, ~/ made relative to the home folder --cd ~ starts in, Windows paths refused', () => {
    assert.equal(wslPython(''), WSL_DEFAULT_PYTHON);
    assert.equal(wslPython('  '), WSL_DEFAULT_PYTHON);
    assert.equal(wslPython('~/.scene-to-video/venv/bin/python'), '.scene-to-video/venv/bin/python');
    assert.equal(wslPython('/opt/conda/envs/fv/bin/python'), '/opt/conda/envs/fv/bin/python');
    assert.equal(wslPython('python3'), 'python3');
    for (const bad of [
      'C:\\Users\\ana\\venv\\Scripts\\python.exe',
      '\\\\wsl$\\Ubuntu\\home\\ana\\venv\\bin\\python',
      '~',
    ])
      assert.throws(
        () => wslPython(bad),
        (e: unknown) => e instanceof StvError && e.code === 'SETTINGS_INVALID',
        bad,
      );
    assert.equal(wsl({ pythonPath: '~/venv/bin/python' }).args[5], 'venv/bin/python');
  });

  it('no distribution named: the default one (no -d)', () => {
    const plan = wsl({ wslDistro: '' });
    assert.deepEqual(plan.args.slice(0, 4), ['--cd', '~', '--exec', WSL_DEFAULT_PYTHON]);
    assert.match(plan.description, /default distribution/);
  });

  it('printed for each shell, quoted so that ~ reaches wsl.exe unexpanded', () => {
    const plan = wsl({ extraEnv: {}, modelPath: "D:\\Ana's models\\5B" });
    assert.equal(
      toShellCommandLine(plan, 'pwsh'),
      "& wsl.exe -d Ubuntu-24.04 --cd '~' --exec '.scene-to-video/venv/bin/python' -m stv_adapter serve --host '127.0.0.1' --port 8055 --backend fastvideo --model FastVideo/FastWan2.2-TI2V-5B-Diffusers --model-path '/mnt/d/Ana''s models/5B'",
    );
    assert.equal(
      toShellCommandLine(plan, 'cmd'),
      'wsl.exe -d Ubuntu-24.04 --cd ~ --exec .scene-to-video/venv/bin/python -m stv_adapter serve --host 127.0.0.1 --port 8055 --backend fastvideo --model FastVideo/FastWan2.2-TI2V-5B-Diffusers --model-path ^"/mnt/d/Ana\'s models/5B^"',
    );
    assert.equal(
      toShellCommandLine(plan, 'bash'),
      "wsl.exe -d Ubuntu-24.04 --cd '~' --exec .scene-to-video/venv/bin/python -m stv_adapter serve --host 127.0.0.1 --port 8055 --backend fastvideo --model FastVideo/FastWan2.2-TI2V-5B-Diffusers --model-path '/mnt/d/Ana'\\''s models/5B'",
    );
  });

  it('variables other than the token are printed with the WSLENV that forwards them (bash, real)', function () {
    if (process.platform === 'win32') this.skip(); // runs the line in bash
    const plan = wsl({ extraEnv: { STV_ADAPTER_TOKEN: 't', HF_HOME: '/home/ana/hf cache' } }, '');
    const line = toShellCommandLine(plan, 'bash');
    assert.match(line, /^HF_HOME='\/home\/ana\/hf cache' WSLENV=STV_ADAPTER_TOKEN\/u:HF_HOME\/u wsl\.exe /);
    // bash reads the assignments back as environment for the program.
    const out = execFileSync('bash', ['-c', line.replace(/ wsl\.exe .*/, ' env')], { encoding: 'utf8' });
    assert.match(out, /^HF_HOME=\/home\/ana\/hf cache$/m);
    assert.match(out, /^WSLENV=STV_ADAPTER_TOKEN\/u:HF_HOME\/u$/m);
    assert.match(
      toShellCommandLine(plan, 'pwsh'),
      /^\$env:HF_HOME = '\/home\/ana\/hf cache'; \$env:WSLENV = 'STV_ADAPTER_TOKEN\/u:HF_HOME\/u'; & wsl\.exe /,
    );
    assert.match(
      toShellCommandLine(plan, 'cmd'),
      /^set \^"HF_HOME=\/home\/ana\/hf cache\^" && set \^"WSLENV=STV_ADAPTER_TOKEN\/u:HF_HOME\/u\^" && wsl\.exe /,
    );
  });

  it('buildAdapterLaunch dispatches on the mode', () => {
    assert.equal(buildAdapterLaunch({ ...base, mode: 'wsl' }).executable, 'wsl.exe');
    const native = buildAdapterLaunch({
      ...base,
      mode: 'native',
      platform: 'linux',
      pythonPath: '/home/ana/.scene-to-video/venv/bin/python',
      host: '127.0.0.1',
    });
    assert.equal(native.executable, '/home/ana/.scene-to-video/venv/bin/python');
    assert.equal(native.env.WSLENV, undefined);
  });
});

describe('launch mode per platform', () => {
  const cases: [Parameters<typeof chooseLaunchMode>, string, RegExp | undefined][] = [
    [['auto', 'win32', true], 'wsl', undefined],
    [['auto', 'win32', false], 'native', /WSL is not installed.*preview backend only.*wsl --install/],
    [['wsl', 'win32', true], 'wsl', undefined],
    [['wsl', 'win32', false], 'wsl', undefined], // checkWsl then says how to install it
    [['native', 'win32', true], 'native', /does not run natively on Windows/],
    [['auto', 'linux', false], 'native', undefined],
    [['auto', 'darwin', false], 'native', undefined],
    [['native', 'linux', false], 'native', undefined],
    [['wsl', 'linux', false], 'native', /applies on Windows only/],
    [['wsl', 'darwin', false], 'native', /applies on Windows only/],
  ];
  for (const [argv, mode, note] of cases)
    it(`${argv.join(', ')} → ${mode}`, () => {
      const c = chooseLaunchMode(...argv);
      assert.equal(c.mode, mode);
      if (note) assert.match(c.note ?? '', note);
      else assert.equal(c.note, undefined);
    });
  it('describes where the adapter runs for the status bar', () => {
    assert.equal(describeLocation('native'), 'native');
    assert.equal(describeLocation('wsl', 'Ubuntu-24.04'), 'WSL2: Ubuntu-24.04');
    assert.equal(describeLocation('wsl'), 'WSL2: default distribution');
  });
});
