import type { PanelScene } from '../../src/protocol/messages';

/**
 * The sample's lighthouse scene as the panel receives it: a keyframe, the "keyframe ignored"
 * notice (its renders come as takes, in their own message). `resources` is the origin the webview
 * loads workspace files from, `dir` the workspace folder.
 */
export function lighthouseScene(resources: string, dir: string): PanelScene {
  return {
    id: 'lighthouse',
    title: 'Lighthouse at dusk',
    prompt: 'a lighthouse at dusk',
    keyframeUri: `${resources}${dir}/keyframes/lighthouse.png`,
    width: 1280,
    height: 704,
    numFrames: 121,
    fps: 24,
    seed: 1234,
    providerId: 'fastvideo-local',
    notices: [{ code: 'KEYFRAME_IGNORED', message: 'FastWan ignores the keyframe.', offerFaithful: true }],
  };
}
