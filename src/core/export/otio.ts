/** OpenTimelineIO (`.otio`, its JSON serialisation): one video track, a clip per take, transitions and markers. */
import { pathToFileURL } from 'node:url';
import type { CutPlan } from '../assembly/plan';
import { editorial } from './editorial';

const rt = (value: number, rate: number) => ({ OTIO_SCHEMA: 'RationalTime.1', rate, value });
const range = (start: number, duration: number, rate: number) => ({
  OTIO_SCHEMA: 'TimeRange.1',
  start_time: rt(start, rate),
  duration: rt(duration, rate),
});

export function toOtio(plan: CutPlan, hashes: string[]): string {
  const fps = plan.fps;
  const children: unknown[] = [];
  for (const [i, e] of editorial(plan).entries()) {
    if (e.fadeIn)
      children.push({
        OTIO_SCHEMA: 'Transition.1',
        metadata: { 'scene-to-video': { seconds: e.clip.transition.seconds } },
        name: 'Cross Dissolve',
        transition_type: 'SMPTE_Dissolve',
        in_offset: rt(e.fadeIn.inOffset, fps),
        out_offset: rt(e.fadeIn.outOffset, fps),
      });
    const c = e.clip;
    children.push({
      OTIO_SCHEMA: 'Clip.2',
      metadata: {
        'scene-to-video': { scene: c.sceneId, ...(c.shotId ? { shot: c.shotId } : {}), take: c.rel, sha256: hashes[i] },
      },
      name: c.key,
      source_range: range(e.sourceIn, e.sourceOut - e.sourceIn, fps),
      effects: [],
      markers: [
        {
          OTIO_SCHEMA: 'Marker.2',
          metadata: {},
          name: c.key,
          color: 'RED',
          comment: c.title,
          marked_range: range(e.sourceIn, 0, fps),
        },
      ],
      enabled: true,
      media_references: {
        DEFAULT_MEDIA: {
          OTIO_SCHEMA: 'ExternalReference.1',
          metadata: {},
          name: c.rel.split('/').pop() ?? c.rel,
          available_range: range(0, c.frames, fps),
          available_image_bounds: null,
          target_url: pathToFileURL(c.take).href,
        },
      },
      active_media_reference_key: 'DEFAULT_MEDIA',
    });
  }
  const timeline = {
    OTIO_SCHEMA: 'Timeline.1',
    metadata: { 'scene-to-video': { timeline: plan.timelineFile, width: plan.width, height: plan.height } },
    name: plan.title,
    global_start_time: rt(0, fps),
    tracks: {
      OTIO_SCHEMA: 'Stack.1',
      metadata: {},
      name: 'tracks',
      source_range: null,
      effects: [],
      markers: [],
      enabled: true,
      children: [
        {
          OTIO_SCHEMA: 'Track.1',
          metadata: {},
          name: 'V1',
          source_range: null,
          effects: [],
          markers: [],
          enabled: true,
          children,
          kind: 'Video',
        },
      ],
    },
  };
  return `${JSON.stringify(timeline, null, 4)}\n`;
}
