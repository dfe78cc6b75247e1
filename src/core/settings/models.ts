/**
 * The FastVideo model ids the settings and the render flow name. A module of its own, without zod,
 * so code that runs at activation (src/vscode/render.ts) can name them without loading the
 * settings schema; schema.ts re-exports them, so they have one home.
 */
export const FASTWAN_MODEL = 'FastVideo/FastWan2.2-TI2V-5B-Diffusers';
export const KEYFRAME_FAITHFUL_MODEL = 'Wan-AI/Wan2.2-TI2V-5B-Diffusers';
