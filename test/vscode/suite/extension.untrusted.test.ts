import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, until } from './helpers';

describe('Scene to Video in an untrusted workspace', () => {
  it('runs in restricted mode: the workspace is not trusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it("starts no process and ignores the workspace's Python path", async () => {
    const a = await api();
    // The workspace settings name a "python" that would prove it ran, if anything ran it.
    const cfg = vscode.workspace.getConfiguration('fastVideo');
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const file = JSON.parse(readFileSync(path.join(ws, '.vscode/settings.json'), 'utf8')) as Record<string, unknown>;
    const fakePython = path.join(ws, '.vscode/fake-python.sh');
    const marker = path.join(ws, 'python-ran');
    assert.equal(file['fastVideo.pythonPath'], fakePython, 'the workspace settings file names it');
    assert.ok(existsSync(fakePython) && !existsSync(marker));
    assert.equal(cfg.get('pythonPath'), '', 'VS Code withholds restricted settings (restrictedConfigurations)');
    assert.equal(a.settings().fastVideo.pythonPath, '', 'and the extension does not read the workspace value either');
    assert.equal(a.settings().fastVideo.autoStart, false, 'autoStart from the workspace is ignored too');
    // The workspace points the adapter at :9; the token and the keyframes must not follow it there.
    assert.equal(file['fastVideo.endpointUrl'], 'http://127.0.0.1:9', 'the workspace settings file names an address');
    assert.equal(a.settings().fastVideo.endpointUrl, 'http://127.0.0.1:8055', 'the workspace address is ignored');
    const before = vscode.window.terminals.length;
    // The test and the extension share one `vscode` API object (same extension root), so the
    // refusal the command shows can be observed here.
    const shown: string[] = [];
    const original = vscode.window.showErrorMessage;
    const spy = ((message: string) => {
      shown.push(message);
      return Promise.resolve(undefined);
    }) as typeof vscode.window.showErrorMessage;
    (vscode.window as { showErrorMessage: typeof spy }).showErrorMessage = spy;
    try {
      await vscode.commands.executeCommand('sceneToVideo.startAdapter');
      await until('the refusal', () => shown.length > 0, 5_000);
    } finally {
      (vscode.window as { showErrorMessage: typeof original }).showErrorMessage = original;
    }
    assert.match(shown[0] ?? '', /not trusted.*does not start the FastVideo adapter/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(vscode.window.terminals.length, before, 'no terminal was opened');
    assert.equal(a.adapter.isRunning(), false);
    assert.ok(!existsSync(marker), 'the workspace\'s "python" never ran');
  });

  it('does not assemble (finding ffmpeg would run a Python), and says why', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const shown: string[] = [];
    const original = vscode.window.showErrorMessage;
    (vscode.window as { showErrorMessage: unknown }).showErrorMessage = (message: string) => {
      shown.push(message);
      return Promise.resolve(undefined);
    };
    try {
      await vscode.commands.executeCommand('sceneToVideo.assembleTimeline', path.join(ws, 'sample.timeline.json'));
      await until('the refusal', () => shown.length > 0, 5_000);
    } finally {
      (vscode.window as { showErrorMessage: typeof original }).showErrorMessage = original;
    }
    assert.match(shown[0] ?? '', /run ffmpeg, which Scene to Video does not start in an untrusted workspace/);
    assert.ok(!existsSync(path.join(ws, 'python-ran')) && !existsSync(path.join(ws, 'films')));
  });
});
