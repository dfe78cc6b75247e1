import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api } from './helpers';

describe('Scene to Video in an untrusted workspace', () => {
  it('runs in restricted mode: the workspace is not trusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('starts no process and ignores the workspace\'s Python path', async () => {
    const a = await api();
    // The workspace settings name a "python" that would prove it ran, if anything ran it.
    const cfg = vscode.workspace.getConfiguration('fastVideo');
    const file = JSON.parse(readFileSync(path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '', '.vscode/settings.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(file['fastVideo.pythonPath'], '/bin/touch', 'the workspace settings file names it');
    assert.equal(cfg.get('pythonPath'), '', 'VS Code withholds restricted settings (restrictedConfigurations)');
    assert.equal(a.settings().fastVideo.pythonPath, '', 'and the extension does not read the workspace value either');
    assert.equal(a.settings().fastVideo.autoStart, false, 'autoStart from the workspace is ignored too');
    const before = vscode.window.terminals.length;
    await vscode.commands.executeCommand('sceneToVideo.startAdapter');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(vscode.window.terminals.length, before, 'no terminal was opened');
    assert.equal(a.adapter.isRunning(), false);
  });
});
