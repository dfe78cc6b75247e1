/** A "Render" lens above each scene of an open *.timeline.json. */
import * as vscode from 'vscode';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';

export class SceneCodeLensProvider implements vscode.CodeLensProvider {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;

  refresh(): void {
    this.emitter.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const root = parseTree(doc.getText());
    const scenes = root && findNodeAtLocation(root, ['scenes']);
    if (!scenes?.children) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const scene of scenes.children) {
      const id = scene.children?.find((p) => p.children?.[0]?.value === 'id')?.children?.[1]?.value;
      if (typeof id !== 'string') continue;
      const range = new vscode.Range(doc.positionAt(scene.offset), doc.positionAt(scene.offset));
      lenses.push(
        new vscode.CodeLens(range, {
          title: '$(play) Render',
          command: 'sceneToVideo.renderScene',
          arguments: [doc.uri.fsPath, id],
          tooltip: `Render scene "${id}" with the active provider`,
        }),
        new vscode.CodeLens(range, {
          title: 'FastVideo',
          command: 'sceneToVideo.renderSceneFastVideo',
          arguments: [doc.uri.fsPath, id],
        }),
        new vscode.CodeLens(range, {
          title: 'ComfyUI',
          command: 'sceneToVideo.renderSceneComfyUI',
          arguments: [doc.uri.fsPath, id],
        }),
      );
    }
    return lenses;
  }
}
