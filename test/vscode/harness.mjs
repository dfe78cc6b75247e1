#!/usr/bin/env node
// Runs the extension inside a real VS Code (code-server) and drives it with Playwright in Debian's
// Chromium: (1) the mocha suite inside the extension host, trusted; (2) the same host untrusted;
// (3) end to end through the UI, saving screenshots to docs/images/. Everything it starts is
// stopped at the end, also on failure. Run by scripts/vscode-tests.sh with Node 24 on PATH.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { runVsCodeBench } from './bench.mjs';
import { E2E_STEPS, runE2E } from './e2e.mjs';
import { FIRST_RUN_STEPS, runFirstRun } from './firstRun.mjs';
import { COMFY_E2E_STEPS, makeComfyWorkspace, runComfyE2E } from './e2e-comfyui.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CS = process.env.STV_CODE_SERVER;
const CHROMIUM = process.env.STV_CHROMIUM || '/usr/bin/chromium';
const venvPython = path.join(root, 'python/.venv/bin/python');
const only = process.argv.slice(2);
// The packaged extension (scripts/vscode-tests.sh builds it): the end-to-end run drives this copy.
const VSIX = process.env.STV_VSIX ? path.resolve(process.env.STV_VSIX) : undefined;
const timings = [];
const cleanups = [];
let passing = 0;
let failing = 0;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startDetached(cmd, args, env, logName) {
  const child = spawn(cmd, args, {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out = (out + c).slice(-20000)));
  child.stderr.on('data', (c) => (out = (out + c).slice(-20000)));
  cleanups.push(async () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  });
  child.logTail = () => `--- ${logName} ---\n${out.slice(-3000)}`;
  return child;
}

async function waitHttp(url, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`${url} did not answer`);
}

/** imageio-ffmpeg's ffmpeg in the repository's adapter venv (what the extension would find beside a dev copy). */
let ffmpeg;
function ffmpegExe() {
  ffmpeg ??= execFileSync(venvPython, ['-c', 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())'], {
    encoding: 'utf8',
  }).trim();
  return ffmpeg;
}

function makeWorkspace(kind, adapterUrl) {
  const ws = mkdtempSync(path.join(os.tmpdir(), `stv-ws-${kind}-`));
  cleanups.push(async () => rmSync(ws, { recursive: true, force: true }));
  cpSync(path.join(root, 'media/sample'), ws, {
    recursive: true,
    filter: (s) => !/renders|artifacts|\.scene-to-video/.test(s),
  });
  mkdirSync(path.join(ws, '.vscode'));
  const settings =
    kind === 'untrusted'
      ? {
          'fastVideo.pythonPath': path.join(ws, '.vscode/fake-python.sh'),
          'fastVideo.autoStart': true,
          'sceneToVideo.videoProvider': 'fastvideo-local',
          'fastVideo.endpointUrl': 'http://127.0.0.1:9',
        }
      : // Health is checked on activation, on settings changes and on demand only: the suite asserts the
        // re-check on a settings change, and no periodic refresh closes the tooltip the end-to-end run hovers.
        // ComfyUI points at a closed port, so a ComfyUI that happens to run on this machine changes nothing.
        {
          'sceneToVideo.videoProvider': 'fastvideo-local',
          'fastVideo.endpointUrl': adapterUrl,
          'comfyUI.url': 'http://127.0.0.1:9',
          'sceneToVideo.healthCheckIntervalSeconds': 0,
          // The installed .vsix has no adapter environment beside it (a user's comes from the set-up,
          // or is attached over HTTP as here): the walk's user has ffmpeg configured, as "No ffmpeg
          // found" asks, so the cut assembles with imageio-ffmpeg's binary from the repository's venv.
          'sceneToVideo.ffmpegPath': ffmpegExe(),
        };
  writeFileSync(path.join(ws, '.vscode/settings.json'), JSON.stringify(settings, null, 2));
  // A "python" that leaves a mark if anything ever runs it (the untrusted suite asserts nothing does).
  if (kind === 'untrusted')
    writeFileSync(path.join(ws, '.vscode/fake-python.sh'), `#!/bin/sh\ntouch '${path.join(ws, 'python-ran')}'\n`, {
      mode: 0o755,
    });
  if (kind === 'e2e') {
    // Larger clips, so the progress in the panel is visible for a moment.
    const file = path.join(ws, 'sample.timeline.json');
    const t = JSON.parse(readFileSync(file, 'utf8'));
    Object.assign(t.defaults, { width: 1280, height: 704, fps: 24, numFrames: 121 });
    writeFileSync(file, JSON.stringify(t, null, 2));
  }
  if (kind === 'trusted') {
    writeFileSync(
      path.join(ws, 'long.timeline.json'),
      JSON.stringify(
        {
          version: 1,
          title: 'Long',
          defaults: { width: 1280, height: 704, fps: 24, numFrames: 241 },
          scenes: [
            {
              id: 'long-take',
              title: 'Long take',
              prompt: 'a slow pan over a harbour',
              keyframe: 'keyframes/lighthouse.png',
            },
          ],
        },
        null,
        2,
      ),
    );
    writeFileSync(
      path.join(ws, 'broken.timeline.json'),
      '{\n  "version": 1, "title": "Broken",\n  "scenes": [\n    { "id": "a", "title": "A", "prompt": "p", "frames": 120 }\n  ]\n}\n',
    );
  }
  return ws;
}

/**
 * The first-run walk's folder: no timeline, no settings but a port of its own for the adapter the
 * extension sets up or starts (so an adapter already on :8055 changes nothing), and one image.
 */
function makeFirstRunWorkspace(adapterPort) {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'stv-ws-first-run-'));
  cleanups.push(async () => rmSync(ws, { recursive: true, force: true }));
  mkdirSync(path.join(ws, 'keyframes'));
  cpSync(path.join(root, 'media/sample/keyframes/lighthouse.png'), path.join(ws, 'keyframes/harbour.png'));
  mkdirSync(path.join(ws, '.vscode'));
  writeFileSync(
    path.join(ws, '.vscode/settings.json'),
    JSON.stringify(
      {
        'fastVideo.endpointUrl': `http://127.0.0.1:${adapterPort}`,
        'comfyUI.url': 'http://127.0.0.1:9',
        'sceneToVideo.healthCheckIntervalSeconds': 0,
      },
      null,
      2,
    ),
  );
  return ws;
}

/** Ends the process listening on `port` (an adapter a VS Code terminal started), found by its port. */
async function killListener(port) {
  const out = await runToEnd('ss', ['-Hltnp', `sport = :${port}`]).catch(() => '');
  for (const m of out.matchAll(/pid=(\d+)/g))
    try {
      process.kill(Number(m[1]), 'SIGKILL');
    } catch {}
}

/**
 * One code-server (a real VS Code server + workbench). `vsix`, when given, is installed into its
 * (otherwise empty) extensions dir first: windows opened with a development path load that copy
 * instead (VS Code lets the development extension win), plain windows load the installed one.
 */
async function startCodeServer({ trusted, env, vsix }) {
  const port = await freePort();
  const ud = mkdtempSync(path.join(os.tmpdir(), 'stv-ud-'));
  const exts = mkdtempSync(path.join(os.tmpdir(), 'stv-exts-'));
  cleanups.push(async () => {
    rmSync(ud, { recursive: true, force: true });
    rmSync(exts, { recursive: true, force: true });
  });
  mkdirSync(path.join(ud, 'User'), { recursive: true });
  writeFileSync(
    path.join(ud, 'User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'chat.disableAIFeatures': true,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'update.mode': 'none',
      'telemetry.telemetryLevel': 'off',
      'security.workspace.trust.startupPrompt': 'never',
      'workbench.tips.enabled': false,
    }),
  );
  if (vsix) await runToEnd(CS, ['--user-data-dir', ud, '--extensions-dir', exts, '--install-extension', vsix]);
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir',
    ud,
    '--extensions-dir',
    exts,
    '--vscode-option',
    'enable-smoke-test-driver',
    ...(trusted ? ['--disable-workspace-trust'] : []),
  ];
  const cs = startDetached(CS, args, env, 'code-server');
  await waitHttp(`http://127.0.0.1:${port}/healthz`);
  return { url: `http://127.0.0.1:${port}`, cs, exts };
}

function runToEnd(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`)),
    );
  });
}

async function browser() {
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  cleanups.push(async () => b.close().catch(() => {}));
  return b;
}

/** Mocha inside the extension host: the smoke-test driver hands its output and exit code to the page. */
async function runSuite(name, kind, server, adapterUrl) {
  const ws = makeWorkspace(kind, adapterUrl);
  const t0 = Date.now();
  const b = await browser();
  const page = await b.newPage({ viewport: { width: 1400, height: 900 } });
  let log = '';
  let resolveExit;
  const exit = new Promise((r) => (resolveExit = r));
  // The workbench logs a lot (gallery lookups that fail offline, sockets); show mocha's lines and
  // keep the whole log under test-results/ for when something fails.
  const mochaLine =
    /^\s*([✔✓✖]|\d+\) |\d+ (passing|failing|pending)|Scene to Video|Error|AssertionError|[+-] |at Context)/;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = format(...(args ?? []));
    log += `${line}\n`;
    if (mochaLine.test(line)) process.stdout.write(`    ${line}\n`);
  });
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', `vscode-remote://remote${root}`],
    ['extensionTestsPath', `vscode-remote://remote${path.join(root, 'out/test/vscode/suite/index.js')}`],
    ['skipWelcome', 'true'],
  ]);
  console.log(`  ${name}`);
  await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
  const code = await Promise.race([exit, sleep(5 * 60_000).then(() => 'timeout')]);
  passing += Number(/(\d+) passing/.exec(log)?.[1] ?? 0);
  failing += Number(/(\d+) failing/.exec(log)?.[1] ?? 0);
  mkdirSync(path.join(root, 'test-results'), { recursive: true });
  writeFileSync(path.join(root, 'test-results', `vscode-${kind}.log`), `${log}\n${server.cs.logTail()}\n`);
  if (code !== 0) {
    if (!/(\d+) failing/.test(log)) failing += 1;
    console.log(`    (exit ${code}; full log in test-results/vscode-${kind}.log)`);
    console.log(log.split('\n').slice(-40).join('\n'));
  }
  await b.close().catch(() => {});
  timings.push(`${kind} suite ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return code === 0;
}

async function main() {
  if (!CS) throw new Error('STV_CODE_SERVER is not set (scripts/install-test-tools.sh prints it)');
  let t0 = Date.now();
  const adapterPort = await freePort();
  const adapterOut = mkdtempSync(path.join(os.tmpdir(), 'stv-harness-adapter-'));
  cleanups.push(async () => rmSync(adapterOut, { recursive: true, force: true }));
  const adapter = startDetached(
    venvPython,
    [
      '-m',
      'stv_adapter',
      'serve',
      '--backend',
      'preview',
      '--port',
      String(adapterPort),
      '--output-root',
      adapterOut,
      '--artifacts-dir',
      path.join(adapterOut, 'artifacts'),
    ],
    {},
    'adapter',
  );
  const adapterUrl = `http://127.0.0.1:${adapterPort}`;
  await waitHttp(`${adapterUrl}/health`);
  timings.push(`adapter up ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let ok = true;
  const want = (k) => !only.length || only.includes(k);
  if (want('trusted') || want('e2e') || want('first-run')) {
    // One trusted code-server for the in-host suite and the end-to-end run (each in its own window
    // and workspace copy); the packaged .vsix is installed into it for the end-to-end run.
    t0 = Date.now();
    const vsix = want('e2e') && VSIX ? VSIX : undefined;
    // STV_COMFYUI_URL: the real ComfyUI that scripts/vscode-tests.sh started (or the user's COMFYUI_URL).
    // STV_HOME: where a set-up from the extension puts its venv (never the user's ~/.scene-to-video).
    const stvHome = mkdtempSync(path.join(os.tmpdir(), 'stv-home-'));
    cleanups.push(async () => rmSync(stvHome, { recursive: true, force: true }));
    const server = await startCodeServer({
      trusted: true,
      env: {
        STV_SUITE: 'trusted',
        STV_ADAPTER_URL: adapterUrl,
        STV_HOME: stvHome,
        STV_COMFYUI_URL: process.env.COMFYUI_URL ?? '',
      },
      vsix,
    });
    timings.push(`code-server up${vsix ? ' (.vsix installed)' : ''} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (want('trusted'))
      ok = (await runSuite('extension host (trusted workspace)', 'trusted', server, adapterUrl)) && ok;
    if (want('e2e')) {
      t0 = Date.now();
      const ws = makeWorkspace('e2e', adapterUrl);
      const b = await browser();
      mkdirSync(path.join(root, 'test-results'), { recursive: true });
      const results = await runE2E({
        browser: b,
        url: server.url,
        ws,
        root,
        devPath: vsix ? undefined : root,
        installed: !!vsix,
      });
      passing += results.filter((r) => r.ok).length;
      failing += results.filter((r) => !r.ok).length;
      if (results.length < E2E_STEPS || results.some((r) => !r.ok)) {
        ok = false;
        if (!results.some((r) => !r.ok)) failing += 1;
        console.log(server.cs.logTail());
      }
      await b.close().catch(() => {});
      timings.push(
        `end to end ${((Date.now() - t0) / 1000).toFixed(1)} s${vsix ? ' (the installed .vsix)' : ' (development copy)'}`,
      );
    }
    if (want('e2e') || want('first-run')) {
      t0 = Date.now();
      const port = await freePort();
      cleanups.push(() => killListener(port));
      const ws = makeFirstRunWorkspace(port);
      const b = await browser();
      mkdirSync(path.join(root, 'test-results'), { recursive: true });
      const results = await runFirstRun({ browser: b, url: server.url, ws, root, devPath: vsix ? undefined : root });
      passing += results.filter((r) => r.ok).length;
      failing += results.filter((r) => !r.ok).length;
      if (results.length < FIRST_RUN_STEPS || results.some((r) => !r.ok)) {
        ok = false;
        if (!results.some((r) => !r.ok)) failing += 1;
        console.log(server.cs.logTail());
      }
      await b.close().catch(() => {});
      await killListener(port);
      timings.push(
        `first run ${((Date.now() - t0) / 1000).toFixed(1)} s${vsix ? ' (the installed .vsix: set-up)' : ' (development copy: start)'}`,
      );
    }
    if (want('e2e') && process.env.COMFYUI_URL) {
      // The same UI against a real ComfyUI (scripts/test.sh starts one), in a workspace of its own.
      t0 = Date.now();
      const ws = makeComfyWorkspace(root, process.env.COMFYUI_URL);
      cleanups.push(async () => rmSync(ws, { recursive: true, force: true }));
      const b = await browser();
      mkdirSync(path.join(root, 'test-results'), { recursive: true });
      const results = await runComfyE2E({
        browser: b,
        url: server.url,
        ws,
        root,
        devPath: vsix ? undefined : root,
        comfyUrl: process.env.COMFYUI_URL,
      });
      passing += results.filter((r) => r.ok).length;
      failing += results.filter((r) => !r.ok).length;
      if (results.length < COMFY_E2E_STEPS || results.some((r) => !r.ok)) {
        ok = false;
        if (!results.some((r) => !r.ok)) failing += 1;
        console.log(server.cs.logTail());
      }
      await b.close().catch(() => {});
      timings.push(`end to end with ComfyUI ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else if (want('e2e')) console.log('  end to end with a real ComfyUI: not run (no COMFYUI_URL)');
    try {
      process.kill(-server.cs.pid, 'SIGKILL');
    } catch {}
  }
  if (want('untrusted')) {
    // Workspace trust is a server flag, so the untrusted session needs a code-server of its own.
    t0 = Date.now();
    const server = await startCodeServer({ trusted: false, env: { STV_SUITE: 'untrusted', STV_ADAPTER_URL: '' } });
    timings.push(`code-server (untrusted) up ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    ok = (await runSuite('extension host (untrusted workspace)', 'untrusted', server)) && ok;
    try {
      process.kill(-server.cs.pid, 'SIGKILL');
    } catch {}
  }
  if (only.includes('bench')) {
    // `npm run bench` only (never part of the tests): the packaged extension's activation and panel paint.
    const server = await startCodeServer({ trusted: true, env: {}, vsix: VSIX });
    const b = await browser();
    const result = await runVsCodeBench({ browser: b, url: server.url, root, adapterUrl, cleanups });
    console.log(`BENCH_JSON ${JSON.stringify(result)}`);
    await b.close().catch(() => {});
    try {
      process.kill(-server.cs.pid, 'SIGKILL');
    } catch {}
  }
  void adapter;
  return ok;
}

let ok = false;
try {
  ok = await main();
} catch (e) {
  console.log(`  harness error: ${e?.stack ?? e}`);
  failing += 1;
} finally {
  for (const c of cleanups.reverse()) await c();
}
console.log(`\n  timings: ${timings.join(', ')}`);
console.log(`\n  ${passing} passing`);
if (failing) console.log(`  ${failing} failing`);
process.exit(ok && failing === 0 ? 0 : 1);
