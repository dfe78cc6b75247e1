/**
 * The timeline "New timeline" writes and the editor's snippet for an empty file: one scene, the
 * model's native size, a short length (a first render should come back quickly), in the current
 * format (version 2: a scene without shots is one clip; its keyframes go in `keyframes`), no `$schema`
 * (contributes.jsonValidation associates every *.timeline.json with the shipped schema).
 */
import type { z } from 'zod';
import type { TimelineSchema } from './schema';

type TimelineInput = z.input<typeof TimelineSchema>;

export function starterTimeline(title = 'My first timeline'): TimelineInput {
  return {
    version: 2,
    title,
    defaults: { width: 1280, height: 704, fps: 24, seedPolicy: 'increment', seed: 1234 },
    scenes: [
      {
        id: 'first-scene',
        title: 'First scene',
        prompt:
          'A red and white lighthouse on a rock at dusk, its beam sweeping over a calm sea, slow push-in, warm light',
        negativePrompt: 'blurry, low quality, distorted, watermark, text',
        seconds: 2,
      },
    ],
  };
}

export function starterTimelineText(title?: string): string {
  return `${JSON.stringify(starterTimeline(title), null, 2)}\n`;
}

/** A file name for a new timeline from what the user typed: kebab-case, ending in .timeline.json. */
export function timelineFileName(typed: string): string {
  const base = typed
    .trim()
    .replace(/\.timeline\.json$|\.json$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return `${base || 'untitled'}.timeline.json`;
}
