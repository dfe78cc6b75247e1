/** A "Render" lens above each scene of an open *.timeline.json, and a "Keyframe" lens above each clip (issue 21). */
import * as vscode from 'vscode';
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';

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
      lenses.push(...keyframeLenses(doc, scene, id));
    }
    return lenses;
  }
}

/** "Generate keyframe" above each shot (timeline version 2), or above a scene written without shots. */
function keyframeLenses(doc: vscode.TextDocument, scene: Node, sceneId: string): vscode.CodeLens[] {
  const lens = (node: Node, key: string) =>
    new vscode.CodeLens(new vscode.Range(doc.positionAt(node.offset), doc.positionAt(node.offset)), {
      title: '$(sparkle) Keyframe',
      command: 'sceneToVideo.generateKeyframe',
      arguments: [doc.uri.fsPath, key, 'start'],
      tooltip: `Generate start keyframe variants of "${key}" from its prompt`,
    });
  const shots = scene.children?.find((p) => p.children?.[0]?.value === 'shots')?.children?.[1];
  if (shots?.type !== 'array') return [lens(scene, sceneId)];
  const out: vscode.CodeLens[] = [];
  for (const shot of shots.children ?? []) {
    const shotId = shot.children?.find((p) => p.children?.[0]?.value === 'id')?.children?.[1]?.value;
    if (typeof shotId === 'string') out.push(lens(shot, `${sceneId}/${shotId}`));
  }
  return out;
}
