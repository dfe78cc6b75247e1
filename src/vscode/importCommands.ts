/** gemDirect1 project import and localGenSettings.json import/export. */
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { StvError } from '../core/errors';
import { writeJsonAtomic } from '../core/render/artifacts';
import { exportLocalGenSettings, importLocalGenSettings } from '../core/settings/localGenSettings';
import type { Settings } from '../core/settings/schema';
import { importGemDirect } from '../core/timeline/import/gemdirect';
import { writeNewFile } from '../core/timeline/import/images';
import { importReport } from '../core/timeline/import/report';
import { log } from './log';
import { updateSetting } from './settings';

async function readJson(uri: vscode.Uri): Promise<unknown> {
  const text = await readFile(uri.fsPath, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new StvError('INVALID_REQUEST', `${path.basename(uri.fsPath)} is not valid JSON: ${(e as Error).message}`);
  }
}

export async function importGemDirectCommand(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'gemDirect1 export': ['json'] },
    title: 'Import a gemDirect1 project export, story or scene file',
  });
  if (!picked?.[0]) return undefined;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(picked[0].fsPath);
  const base = path.basename(picked[0].fsPath, '.json').replace(/[^A-Za-z0-9._-]+/g, '-');
  // A new file name, never an existing timeline.
  const target = await writeNewFile(folder, `${base}`, '.timeline.json', Buffer.from('{}'));
  let result;
  try {
    result = await importGemDirect(await readJson(picked[0]), {
      sourceFile: picked[0].fsPath,
      targetTimelineFile: target,
    });
    await writeJsonAtomic(target, result.timeline);
  } catch (e) {
    await rm(target, { force: true }); // the reserved name held only a placeholder
    throw e;
  }
  const doc = await vscode.workspace.openTextDocument(target);
  await vscode.window.showTextDocument(doc);
  // The whole report (every field not carried over) goes to the log; the notification says how much.
  const [summary = '', ...rest] = importReport(vscode.workspace.asRelativePath(target), result);
  for (const l of [summary, ...rest]) log().info(l);
  const notCarried = result.notCarried.length
    ? ` ${result.notCarried.length} field(s) had nowhere to go (listed in the log).`
    : '';
  const message = `${summary}${result.warnings.length ? ` ${result.warnings.join(' ')}` : ''}${notCarried}`;
  void (result.warnings.length || notCarried
    ? vscode.window.showWarningMessage(message, 'Show log').then((p) => p && log().show())
    : vscode.window.showInformationMessage(message));
  return target;
}

export async function importLocalGenSettingsCommand(): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'localGenSettings.json': ['json'] },
    title: 'Import gemDirect1 localGenSettings.json',
  });
  if (!picked?.[0]) return;
  const imp = importLocalGenSettings(await readJson(picked[0]));
  if (imp.workflow && vscode.workspace.workspaceFolders?.[0]) {
    const dir = path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, '.vscode', 'scene-to-video');
    const file = await writeNewFile(
      dir,
      imp.workflow.id.replace(/[^A-Za-z0-9._-]+/g, '-'),
      '.workflow.json',
      Buffer.from(imp.workflow.json),
    );
    imp.updates['comfyUI.workflowPath'] = path
      .relative(vscode.workspace.workspaceFolders[0].uri.fsPath, file)
      .split(path.sep)
      .join('/');
  }
  if (imp.imageWorkflow && vscode.workspace.workspaceFolders?.[0]) {
    const root = vscode.workspace.workspaceFolders[0].uri.fsPath;
    const file = await writeNewFile(
      path.join(root, '.vscode', 'scene-to-video'),
      imp.imageWorkflow.id.replace(/[^A-Za-z0-9._-]+/g, '-'),
      '.image-workflow.json',
      Buffer.from(imp.imageWorkflow.json),
    );
    imp.updates['comfyUI.imageWorkflowPath'] = path.relative(root, file).split(path.sep).join('/');
  }
  for (const [key, value] of Object.entries(imp.updates)) {
    const dot = key.indexOf('.');
    await updateSetting(key.slice(0, dot), key.slice(dot + 1), value);
  }
  void vscode.window.showInformationMessage(
    `Imported ${Object.keys(imp.updates).length} setting(s) from localGenSettings.json.${imp.notes.length ? ` ${imp.notes.join(' ')}` : ''}`,
  );
}

export async function exportLocalGenSettingsCommand(settings: Settings): Promise<void> {
  const dest = await vscode.window.showSaveDialog({
    filters: { JSON: ['json'] },
    saveLabel: 'Export',
    title: 'Export localGenSettings.json (keys Scene to Video does not use are kept)',
    defaultUri: vscode.workspace.workspaceFolders?.[0]
      ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'localGenSettings.json')
      : undefined,
  });
  if (!dest) return;
  let previous: unknown;
  try {
    previous = await readJson(dest);
  } catch {
    previous = {};
  }
  let workflow: { id: string; label: string; json: string } | undefined;
  if (settings.comfyUI.workflowPath && vscode.workspace.workspaceFolders?.[0]) {
    const file = path.resolve(vscode.workspace.workspaceFolders[0].uri.fsPath, settings.comfyUI.workflowPath);
    const id = path.basename(file).replace(/\.(workflow\.)?json$/, '');
    workflow = { id, label: id, json: await readFile(file, 'utf8') };
  }
  await writeJsonAtomic(dest.fsPath, exportLocalGenSettings(settings, previous, workflow));
  void vscode.window.showInformationMessage(`Exported settings to ${vscode.workspace.asRelativePath(dest)}.`);
}
