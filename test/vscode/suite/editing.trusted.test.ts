// Issue 15 in a real extension host: keyframe completion, each timeline problem reported once with
// a quick fix that fixes it, and a scene's stale error cleared once its provider is healthy again.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, until, workspaceDir } from './helpers';

const ADAPTER = process.env.STV_ADAPTER_URL ?? '';
const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Scene to Video');

async function open(name: string, text?: string): Promise<vscode.TextDocument> {
  const file = path.join(workspaceDir(), name);
  if (text !== undefined) writeFileSync(file, text);
  const doc = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(doc);
  return doc;
}

describe('editing a timeline (issue 15)', () => {
  before(async () => {
    await api();
    await vscode.workspace
      .getConfiguration('sceneToVideo')
      .update('videoProvider', 'fastvideo-local', vscode.ConfigurationTarget.Workspace);
    await vscode.workspace
      .getConfiguration('fastVideo')
      .update('endpointUrl', ADAPTER, vscode.ConfigurationTarget.Workspace);
  });

  it('completes a keyframe path with the images beside the timeline', async () => {
    const doc = await open('sample.timeline.json');
    const at = doc.getText().indexOf('"keyframes/lighthouse.png"') + 2;
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      doc.uri,
      doc.positionAt(at),
    );
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const want of ['keyframes/city-rain.png', 'keyframes/forest-stream.png', 'keyframes/lighthouse.png'])
      assert.ok(labels.includes(want), `${want} not offered: ${labels.slice(0, 20).join(', ')}`);
  });

  it('reports each problem once (the JSON schema validates nothing) and its quick fix fixes it', async () => {
    // The JSON language server runs: it reports a schema problem in a plain JSON file that asks for one.
    const probe = await open(
      'probe.json',
      JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 12 }),
    );
    await until(
      'the JSON language server to report on probe.json',
      () => vscode.languages.getDiagnostics(probe.uri).length > 0,
      30_000,
    );
    const text =
      '{\n  "version": 1,\n  "title": "Typos",\n  "scenes": [\n    { "id": "a", "title": "A", "prompt": "p", "secnds": 2, "overrides": { "width": 1000 }, "keyframe": "keyframes/lighthose.png" }\n  ]\n}\n';
    const doc = await open('typos.timeline.json', text);
    const diags = await until('three problems', () => (ours(doc.uri).length >= 3 ? ours(doc.uri) : undefined));
    assert.deepEqual(diags.map((d) => d.code).sort(), ['invalid-size', 'keyframe-missing', 'unknown-field']);
    const missing = diags.find((d) => d.code === 'keyframe-missing');
    assert.match(missing?.message ?? '', /Did you mean "keyframes\/lighthouse\.png"\?/);
    await new Promise((r) => setTimeout(r, 1500)); // time for the JSON language server to have its say
    assert.deepEqual(
      vscode.languages
        .getDiagnostics(doc.uri)
        .filter((d) => d.source !== 'Scene to Video')
        .map((d) => `${d.source}: ${d.message}`),
      [],
      'reported twice',
    );
    for (const [code, title] of [
      ['unknown-field', 'Rename to "seconds"'],
      ['invalid-size', 'Use 992'],
      ['keyframe-missing', 'Use "keyframes/lighthouse.png"'],
    ] as const) {
      const d = await until(`the ${code} problem`, () => ours(doc.uri).find((x) => x.code === code));
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        doc.uri,
        d.range,
        vscode.CodeActionKind.QuickFix.value,
      );
      const fix = actions.find((a) => a.title === title);
      assert.ok(fix?.edit, `no "${title}" among ${actions.map((a) => a.title).join(', ')}`);
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      await until(`the ${code} problem to clear`, () => !ours(doc.uri).some((x) => x.code === code));
    }
    assert.match(
      doc.getText(),
      /"seconds": 2, "overrides": \{ "width": 992 \}, "keyframe": "keyframes\/lighthouse\.png"/,
    );
    await doc.save();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it("clears a scene's failure in the panel once its provider is healthy again", async () => {
    const a = await api();
    const timeline = path.join(workspaceDir(), 'sample.timeline.json');
    await vscode.commands.executeCommand('sceneToVideo.openPanel', timeline);
    await until('the panel state', () => a.panel()?.state?.scenes.length);
    // An address that is not loopback (so the extension offers no adapter to start here) and where
    // nothing answers at once: on Linux a connection to 0.0.0.0 goes to this machine, port 9 is closed.
    await vscode.workspace
      .getConfiguration('fastVideo')
      .update('endpointUrl', 'http://0.0.0.0:9', vscode.ConfigurationTarget.Workspace);
    await until('FastVideo down', () => a.statusBarText().includes('FastVideo: down'), 30_000);
    await vscode.commands.executeCommand('sceneToVideo.renderSceneFastVideo', timeline, 'city-rain');
    const failed = await until('the failure in the panel', () =>
      a.panel()?.state?.scenes.find((s) => s.id === 'city-rain' && s.job?.state === 'failed'),
    );
    assert.equal(failed.job?.error?.code, 'UNREACHABLE');
    await vscode.workspace
      .getConfiguration('fastVideo')
      .update('endpointUrl', ADAPTER, vscode.ConfigurationTarget.Workspace);
    await until('FastVideo ok', () => a.statusBarText().includes('FastVideo: ok'), 30_000);
    await until(
      'the failure cleared',
      () => a.panel()?.state?.scenes.find((s) => s.id === 'city-rain' && !s.job),
      30_000,
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
