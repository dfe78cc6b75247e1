/**
 * Final Cut Pro 7 XML (xmeml version 4), which Premiere Pro imports and Resolve and Kdenlive read
 * too: one sequence, one video track, a clipitem per take (its file by file:// URL, a marker with
 * the shot's key) and a Cross Dissolve transitionitem, centred on the cut, for each crossfade. Like
 * FCP, a clipitem next to a transition has start or end -1: its edge is the transition's cut point.
 */
import { pathToFileURL } from 'node:url';
import type { CutPlan } from '../assembly/plan';
import { editorial } from './editorial';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function toFcpXml(plan: CutPlan): string {
  const fps = Math.round(plan.fps);
  const rate = `<rate><timebase>${fps}</timebase><ntsc>FALSE</ntsc></rate>`;
  const ed = editorial(plan);
  const items: string[] = [];
  ed.forEach((e, i) => {
    const c = e.clip;
    const next = ed[i + 1];
    if (e.fadeIn) {
      items.push(
        `<transitionitem><start>${e.recordIn - e.fadeIn.inOffset}</start><end>${e.recordIn + e.fadeIn.outOffset}</end><alignment>center</alignment>${rate}` +
          '<effect><name>Cross Dissolve</name><effectid>Cross Dissolve</effectid><effectcategory>Dissolve</effectcategory><effecttype>transition</effecttype><mediatype>video</mediatype></effect></transitionitem>',
      );
    }
    // in/out: the take's visible media including the transitions' handles.
    const visIn = e.sourceIn - (e.fadeIn?.inOffset ?? 0);
    const visOut = e.sourceOut + (next?.fadeIn?.outOffset ?? 0);
    const name = c.rel.split('/').pop() ?? c.rel;
    items.push(
      `<clipitem id="clipitem-${i + 1}"><name>${esc(c.key)}</name><duration>${c.frames}</duration>${rate}` +
        `<start>${e.fadeIn ? -1 : e.recordIn}</start><end>${next?.fadeIn ? -1 : e.recordOut}</end><in>${visIn}</in><out>${visOut}</out>` +
        `<file id="file-${i + 1}"><name>${esc(name)}</name><pathurl>${esc(pathToFileURL(c.take).href)}</pathurl>${rate}<duration>${c.frames}</duration>` +
        `<media><video><samplecharacteristics><width>${c.info.video?.width ?? plan.width}</width><height>${c.info.video?.height ?? plan.height}</height></samplecharacteristics></video></media></file>` +
        `<marker><name>${esc(c.key)}</name><comment>${esc(c.title)}</comment><in>${e.sourceIn}</in><out>-1</out></marker></clipitem>`,
    );
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE xmeml>',
    '<xmeml version="4">',
    `<sequence id="sequence-1"><name>${esc(plan.title)}</name><duration>${plan.frames}</duration>${rate}`,
    `<media><video><format><samplecharacteristics>${rate}<width>${plan.width}</width><height>${plan.height}</height><pixelaspectratio>square</pixelaspectratio></samplecharacteristics></format>`,
    `<track>${items.join('\n')}</track></video></media>`,
    `<timecode>${rate}<string>00:00:00:00</string><frame>0</frame><displayformat>NDF</displayformat></timecode>`,
    '</sequence>',
    '</xmeml>',
    '',
  ].join('\n');
}
