/** The report after a gemDirect1 import, for the CLI and the extension alike. */
import type { ImportResult } from './gemdirect';

/** The one-line report of an import, then its warnings and what was not carried over. */
export function importReport(target: string, r: ImportResult): string[] {
  const clips = r.timeline.scenes.reduce((n, s) => n + (s.shots?.length ?? 1), 0);
  const lines = [
    `Imported ${r.timeline.scenes.length} scene(s), ${clips} clip(s), ${r.keyframesWritten.length} keyframe(s)${r.workflowsWritten.length ? ` and ${r.workflowsWritten.length} workflow(s)` : ''} into ${target}.`,
  ];
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.notCarried.length) {
    lines.push(`${r.notCarried.length} field(s) had nowhere to go in the timeline and were not imported:`);
    for (const n of r.notCarried) lines.push(`  - ${n}`);
  } else lines.push('Every field was carried over.');
  return lines;
}
