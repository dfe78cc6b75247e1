/**
 * Messages between the extension and the scene panel, validated with zod on both sides: the
 * webview is a browser page, so anything it posts is untrusted input.
 */
import { z } from 'zod';

const SceneId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

export const WebviewToExtensionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('render'), sceneId: SceneId, seed: z.int().min(0).max(4_294_967_295).optional() }),
  z.object({ type: z.literal('renderAll') }),
  z.object({ type: z.literal('cancel'), jobId: z.uuid() }),
  z.object({ type: z.literal('cancelAll') }),
  z.object({ type: z.literal('open'), videoPath: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('reveal'), videoPath: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('useKeyframeFaithfulModel') }),
  z.object({ type: z.literal('runCommand'), command: z.enum(['sceneToVideo.startAdapter', 'sceneToVideo.switchProvider', 'sceneToVideo.showLog', 'sceneToVideo.checkHealth']) }),
]);
export type WebviewToExtension = z.infer<typeof WebviewToExtensionSchema>;

export interface PanelRender {
  videoPath: string;
  videoUri: string;
  createdAt: string;
  seed: number;
  providerId: string;
  width: number;
  height: number;
  numFrames: number;
  fps: number;
  model?: string;
  warnings: { code: string; message: string }[];
}

export interface PanelJob {
  jobId: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  stage?: string;
  fraction?: number;
  etaMs?: number;
  error?: { code: string; message: string; hint?: string };
}

export interface PanelScene {
  id: string;
  title: string;
  prompt: string;
  negativePrompt?: string;
  keyframeUri?: string;
  width: number;
  height: number;
  numFrames: number;
  fps: number;
  seed: number | 'random';
  job?: PanelJob;
  renders: PanelRender[];
}

export interface PanelState {
  timelineFile?: string;
  title?: string;
  problems: string[];
  provider: { id: string; state: string; summary: string; followsKeyframe?: boolean; notAi?: boolean; model?: string };
  scenes: PanelScene[];
}

export type ExtensionToWebview = { type: 'state'; state: PanelState } | { type: 'job'; sceneId: string; job: PanelJob };
