/**
 * ComfyUI's HTTP and WebSocket messages as its server sends them (server.py, execution.py,
 * comfy_api/latest/_ui.py), parsed at the boundary. Schemas are loose where ComfyUI's versions
 * differ and strict where we rely on a field.
 */
import { z } from 'zod';

export const SystemStatsSchema = z.object({
  system: z
    .object({
      comfyui_version: z.string().optional(),
      python_version: z.string().optional(),
      pytorch_version: z.string().optional(),
      os: z.string().optional(),
    })
    .loose(),
  devices: z.array(
    z.object({ name: z.string(), type: z.string().optional(), vram_total: z.number(), vram_free: z.number() }).loose(),
  ),
});

/** POST /prompt: 200 {prompt_id, number, node_errors}; 400 {error, node_errors}. */
export const PromptAcceptedSchema = z.object({
  prompt_id: z.string(),
  number: z.number().optional(),
  node_errors: z.record(z.string(), z.unknown()).optional(),
});
export const NodeErrorSchema = z.object({
  errors: z.array(
    z.object({
      type: z.string().optional(),
      message: z.string(),
      details: z.string().optional(),
      extra_info: z
        .object({ input_name: z.string().optional(), received_value: z.unknown().optional() })
        .loose()
        .optional(),
    }),
  ),
  class_type: z.string().optional(),
});
export const PromptRejectedSchema = z.object({
  error: z.union([
    z.object({ type: z.string().optional(), message: z.string(), details: z.string().optional() }).loose(),
    z.string(),
  ]),
  node_errors: z.record(z.string(), NodeErrorSchema).optional(),
});

export const UploadResultSchema = z.object({
  name: z.string(),
  subfolder: z.string().optional(),
  type: z.string().optional(),
});

/** One saved file in a history entry's outputs. */
export const SavedFileSchema = z.object({
  filename: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('output'),
  format: z.string().optional(),
});
/**
 * Outputs differ by node and version: core SaveVideo reports `images` + `animated: [true]`
 * (comfy_api PreviewVideo), some versions and nodes use `videos`, VideoHelperSuite uses `gifs`.
 */
export const NodeOutputSchema = z
  .object({
    images: z.array(SavedFileSchema).optional(),
    videos: z.array(SavedFileSchema).optional(),
    gifs: z.array(SavedFileSchema).optional(),
    animated: z.array(z.boolean()).optional(),
  })
  .loose();
export const HistoryEntrySchema = z.object({
  outputs: z.record(z.string(), NodeOutputSchema).default({}),
  status: z
    .object({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.tuple([z.string(), z.unknown()])).optional(),
    })
    .loose()
    .optional(),
});
export const HistorySchema = z.record(z.string(), HistoryEntrySchema);

/** GET /queue: entries are [number, prompt_id, prompt, extra_data, outputs_to_execute]. */
export const QueueSchema = z.object({
  queue_running: z.array(z.array(z.unknown())),
  queue_pending: z.array(z.array(z.unknown())),
});

export const WsMessageSchema = z.object({ type: z.string(), data: z.record(z.string(), z.unknown()).default({}) });

export type SavedFile = z.infer<typeof SavedFileSchema>;
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export type SystemStats = z.infer<typeof SystemStatsSchema>;
