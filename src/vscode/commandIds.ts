/**
 * Every command the extension contributes, in one list. No `vscode` import, so a unit test checks it
 * against package.json `contributes.commands` both ways; commands.ts maps each id to its handler
 * with a `Record<CommandId, …>`, so the compiler refuses a missing or an extra handler.
 */
export const COMMAND_IDS = [
  'sceneToVideo.newTimeline',
  'sceneToVideo.renderScene',
  'sceneToVideo.renderSceneFastVideo',
  'sceneToVideo.renderSceneComfyUI',
  'sceneToVideo.renderAll',
  'sceneToVideo.cancelRender',
  'sceneToVideo.switchProvider',
  'sceneToVideo.openPanel',
  'sceneToVideo.startAdapter',
  'sceneToVideo.stopAdapter',
  'sceneToVideo.checkHealth',
  'sceneToVideo.importGemDirect',
  'sceneToVideo.upgradeTimeline',
  'sceneToVideo.assembleTimeline',
  'sceneToVideo.importLocalGenSettings',
  'sceneToVideo.exportLocalGenSettings',
  'sceneToVideo.showLog',
  'sceneToVideo.openSample',
  'sceneToVideo.setupAdapter',
  'sceneToVideo.openDocs',
  'sceneToVideo.setAdapterToken',
  'sceneToVideo.openRunRecords',
  'sceneToVideo.generateKeyframe',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
