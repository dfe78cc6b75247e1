/**
 * The takes' own sound in the film (issue 19): with no soundtrack, a take's audio is kept, a take
 * without sound gives silence of its length, crossfades blend the sound as they blend the picture,
 * and the sound lasts exactly as long as the film. Real takes made by ffmpeg (testsrc2 and a sine),
 * assembled with the real ffmpeg; the film's audio length is measured by decoding it.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assemble } from '../../src/core/assembly/assemble';
import { canStreamCopy, planCut } from '../../src/core/assembly/plan';
import { locateFfmpeg, probe, type Ffmpeg } from '../../src/core/ffmpeg/ffmpeg';
import type { ClipTakes } from '../../src/core/takes/takes';
import type { ResolvedScene } from '../../src/core/timeline/resolve';
import type { Timeline } from '../../src/core/timeline/schema';
import { venvPython } from '../helpers/paths';

const W = 320;
const H = 176;
const FPS = 24;
const FRAMES = 48;

describe("the takes' own audio in the film", function () {
  this.timeout(120_000);
  let dir: string;
  let ff: Ffmpeg;
  let n = 0;
  const timelineFile = () => path.join(dir, 'a.timeline.json');
  const timeline = {
    version: 2,
    title: 'audio',
    defaults: { width: W, height: H, fps: FPS },
    scenes: [],
  } as unknown as Timeline;

  /** A take of FRAMES frames, with a 44.1 kHz mono sine when `sound` (the film resamples it). */
  const makeTake = (name: string, sound: boolean): string => {
    const f = path.join(dir, `${name}.mp4`);
    execFileSync(ff.path, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=${W}x${H}:r=${FPS}`,
      ...(sound ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'] : []),
      '-frames:v',
      String(FRAMES),
      ...(sound ? ['-c:a', 'aac', '-shortest'] : []),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      f,
    ]);
    return f;
  };

  const clips = (files: string[], crossfadeInto: number[] = []): ClipTakes[] =>
    files.map((f, i) => {
      const clip: ResolvedScene = {
        id: `s${i}`,
        key: `s${i}`,
        index: i,
        title: `take ${i}`,
        prompt: '',
        width: W,
        height: H,
        fps: FPS,
        numFrames: FRAMES,
        seed: i,
        ...(crossfadeInto.includes(i) ? { transition: { type: 'crossfade' as const, seconds: 0.5 } } : {}),
      };
      const take = { path: f, rel: path.basename(f) };
      return { clip, location: { scene: i }, takes: [take], chosen: take, chosenExplicitly: false };
    });

  /** Seconds of decoded audio (every sample, not the container's claim), or undefined without audio. */
  const audioSeconds = (film: string): number | undefined => {
    try {
      const out = execFileSync(
        ff.path,
        ['-hide_banner', '-nostats', '-progress', 'pipe:1', '-i', film, '-map', '0:a:0', '-f', 'null', '-'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return Number([...out.matchAll(/^out_time_us=(\d+)$/gm)].pop()?.[1]) / 1e6;
    } catch {
      return undefined;
    }
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stv-cut-audio-'));
    ff = await locateFfmpeg({ env: {}, pythons: [venvPython] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the sound of takes that have it, silence for one without, through a crossfade: as long as the film', async () => {
    const files = [makeTake('sound1', true), makeTake('silent', false), makeTake('sound2', true)];
    const plan = await planCut(timeline, timelineFile(), clips(files, [1]), ff);
    const r = await assemble(plan, ff, { out: path.join(dir, `f${n++}.mp4`) });
    assert.equal(r.mode, 'encode');
    const film = (3 * FRAMES - 12) / FPS; // one 0.5 s crossfade
    assert.ok(Math.abs(r.durationSeconds - film) < 1e-6, String(r.durationSeconds));
    const info = await probe(ff, r.film);
    assert.ok(info.audio, 'the film has a sound track');
    const a = audioSeconds(r.film) ?? NaN;
    assert.ok(Math.abs(a - film) < 0.05, `audio ${a} s, film ${film} s`);
  });

  it('cuts between matching takes re-encode when one has sound (stream copy would lose or misalign it)', async () => {
    const files = [makeTake('c-sound', true), makeTake('c-silent', false)];
    const plan = await planCut(timeline, timelineFile(), clips(files), ff);
    assert.equal(canStreamCopy(plan), false);
    const r = await assemble(plan, ff, { out: path.join(dir, `f${n++}.mp4`) });
    const a = audioSeconds(r.film) ?? NaN;
    assert.ok(Math.abs(a - (2 * FRAMES) / FPS) < 0.05, `audio ${a} s`);
  });

  it('takes without sound still copy streams and give a film without an audio track', async () => {
    const files = [makeTake('q1', false), makeTake('q2', false)];
    const plan = await planCut(timeline, timelineFile(), clips(files), ff);
    const r = await assemble(plan, ff, { out: path.join(dir, `f${n++}.mp4`) });
    assert.equal(r.mode, 'copy');
    assert.equal((await probe(ff, r.film)).audio, false);
    assert.equal(audioSeconds(r.film), undefined);
  });
});
