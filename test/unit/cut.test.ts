/**
 * Takes, continuity, assembly and the editor exports (issue 19), end to end on real files: the
 * preview adapter renders the clips, the CLI chooses takes and assembles, ffprobe (or, where it is
 * not installed, ffmpeg itself) checks the film, and the real OpenTimelineIO library with its CMX
 * 3600 and FCP XML adapters (python/.venv, dev dependencies) reads the exports back.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli';
import { assemble } from '../../src/core/assembly/assemble';
import { planCut } from '../../src/core/assembly/plan';
import { locateFfmpeg, probe, type Ffmpeg } from '../../src/core/ffmpeg/ffmpeg';
import { timelineTakes } from '../../src/core/takes/takes';
import { loadTimelineFile } from '../../src/core/timeline/load';
import { startTestAdapter, type TestAdapter } from '../helpers/adapterProcess';
import { repoRoot, venvPython } from '../helpers/paths';
import { readImageSize } from '../../src/core/timeline/imageSize';
import { captureIo } from '../helpers/cliIo';

interface FilmProbe {
  width: number;
  height: number;
  fps: number;
  frames: number;
  duration: number;
  audio?: { codec: string; duration: number };
}

/** The system ffprobe where installed; otherwise ffmpeg's own description and a decode that counts frames. */
async function probeFilm(ff: Ffmpeg, file: string): Promise<FilmProbe> {
  try {
    const out = execFileSync(
      'ffprobe',
      [
        '-v',
        'error',
        '-count_frames',
        '-show_entries',
        'stream=codec_type,codec_name,width,height,r_frame_rate,nb_read_frames,duration,pix_fmt:format=duration',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    );
    const j = JSON.parse(out) as { streams: Record<string, string | number>[]; format: { duration: string } };
    const v = j.streams.find((s) => s.codec_type === 'video') as Record<string, string | number>;
    const a = j.streams.find((s) => s.codec_type === 'audio');
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.pix_fmt, 'yuv420p');
    const [n, d] = String(v.r_frame_rate).split('/').map(Number);
    return {
      width: Number(v.width),
      height: Number(v.height),
      fps: (n ?? 0) / (d ?? 1),
      frames: Number(v.nb_read_frames),
      duration: Number(j.format.duration),
      ...(a ? { audio: { codec: String(a.codec_name), duration: Number(a.duration) } } : {}),
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const info = await probe(ff, file);
    // Decode every frame; -progress reports the count.
    const progress = execFileSync(
      ff.path,
      ['-hide_banner', '-nostats', '-progress', 'pipe:1', '-i', file, '-map', '0:v:0', '-f', 'null', '-'],
      { encoding: 'utf8' },
    );
    const frames = Number([...progress.matchAll(/^frame=(\d+)$/gm)].pop()?.[1]);
    assert.equal(info.video?.codec, 'h264');
    return {
      width: info.video?.width ?? 0,
      height: info.video?.height ?? 0,
      fps: info.video?.fps ?? 0,
      frames,
      duration: info.durationSeconds,
      ...(info.audio ? { audio: { codec: 'aac', duration: info.durationSeconds } } : {}),
    };
  }
}

const io = captureIo;

const TIMELINE = {
  version: 2,
  title: 'Cut test',
  defaults: { width: 640, height: 352, fps: 24, numFrames: 33, seed: 7 },
  scenes: [
    {
      id: 'harbour',
      title: 'Harbour',
      prompt: 'A lighthouse at dusk',
      keyframes: { start: 'keyframes/lighthouse.png' },
      shots: [{ id: 'wide' }, { id: 'close' }],
    },
    {
      id: 'forest',
      title: 'Forest',
      prompt: 'A misty forest stream',
      keyframes: { start: 'keyframes/forest-stream.png' },
    },
  ],
};

/** Reads the export back with the real OTIO: track duration, clips (name, range, media), transitions, markers. */
function readBack(
  file: string,
  rate = 24,
): {
  duration: number;
  items: {
    kind: string;
    name: string;
    start?: number;
    dur?: number;
    inOff?: number;
    outOff?: number;
    url?: string;
    markers?: string[];
  }[];
} {
  const script = [
    'import json, sys, opentimelineio as otio',
    'f = sys.argv[1]',
    'tl = otio.adapters.read_from_file(f, rate=float(sys.argv[2])) if f.endswith(".edl") else otio.adapters.read_from_file(f)',
    'tr = tl.video_tracks()[0]',
    'items = []',
    'for i in tr:',
    '    if isinstance(i, otio.schema.Transition):',
    '        items.append({"kind": "transition", "name": i.name, "inOff": i.in_offset.value, "outOff": i.out_offset.value})',
    '    else:',
    '        items.append({"kind": "clip", "name": i.name, "start": i.source_range.start_time.value, "dur": i.source_range.duration.value,',
    '                      "url": getattr(i.media_reference, "target_url", None), "markers": [m.name for m in i.markers]})',
    'print(json.dumps({"duration": tr.duration().value, "items": items}))',
  ].join('\n');
  return JSON.parse(execFileSync(venvPython, ['-c', script, file, String(rate)], { encoding: 'utf8' })) as ReturnType<
    typeof readBack
  >;
}

describe('takes, continuity, assembly and exports (issue 19)', function () {
  this.timeout(180_000);
  let ws: string;
  let file: string;
  let adapter: TestAdapter;
  let ff: Ffmpeg;
  const cli = async (...argv: string[]) => {
    const t = io();
    const code = await main(argv, t.io);
    return { code, out: t.out(), err: t.err() };
  };
  const render = async (...scenes: string[]) => {
    const r = await cli(
      'render',
      file,
      '--provider',
      'fastvideo-local',
      '--endpoint',
      adapter.url,
      '--json',
      ...scenes.flatMap((s) => ['--scene', s]),
    );
    assert.equal(r.code, EXIT.ok, r.err);
  };
  const edit = (f: (t: typeof TIMELINE & Record<string, unknown>) => void) => {
    const t = JSON.parse(readFileSync(file, 'utf8')) as typeof TIMELINE & Record<string, unknown>;
    f(t);
    writeFileSync(file, `${JSON.stringify(t, null, 2)}\n`);
  };

  before(async () => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'stv-cut-'));
    cpSync(path.join(repoRoot, 'media/sample/keyframes'), path.join(ws, 'keyframes'), { recursive: true });
    file = path.join(ws, 'cut.timeline.json');
    writeFileSync(file, `${JSON.stringify(TIMELINE, null, 2)}\n`);
    adapter = await startTestAdapter();
    ff = await locateFfmpeg({ env: {}, pythons: [venvPython] });
    await render();
    await render('harbour/wide'); // a second take of the first shot
  });
  after(async () => {
    await adapter?.dispose();
    rmSync(ws, { recursive: true, force: true });
  });

  it('finds ffmpeg in the adapter environment (imageio-ffmpeg), nothing downloaded', () => {
    assert.equal(ff.source, 'imageio-ffmpeg');
    assert.match(ff.path, /imageio_ffmpeg/);
  });

  it('lists takes (newest counts without a choice), chooses one as a path relative to the timeline, and reports it when its file is gone', async () => {
    const listed = await cli('takes', file, '--json');
    assert.equal(listed.code, EXIT.ok, listed.err);
    const clips = JSON.parse(listed.out) as {
      key: string;
      chosen: string;
      chosenExplicitly: boolean;
      takes: { path: string; seed: number }[];
    }[];
    assert.deepEqual(
      clips.map((c) => c.key),
      ['harbour/wide', 'harbour/close', 'forest'],
    );
    const wide = clips[0] as (typeof clips)[number];
    assert.equal(wide.takes.length, 2);
    assert.equal(wide.chosen, wide.takes[0]?.path); // newest first
    assert.equal(wide.chosenExplicitly, false);
    assert.match(wide.takes[0]?.path ?? '', /^renders\/harbour\/wide\/harbour_wide_.*\.mp4$/);

    const before = readFileSync(file, 'utf8');
    const chose = await cli('choose', file, '--shot', 'harbour/wide', '2');
    assert.equal(chose.code, EXIT.ok, chose.err);
    const after = readFileSync(file, 'utf8');
    assert.equal(JSON.parse(after).scenes[0].shots[0].take, wide.takes[1]?.path);
    // A minimal edit: only the new "take" line differs (plus the comma it needs).
    const added = after.split('\n').filter((l) => !before.split('\n').includes(l));
    assert.ok(added.length <= 2 && added.some((l) => l.includes(`"take": "${wide.takes[1]?.path}"`)), added.join('\n'));
    assert.equal(JSON.parse((await cli('takes', file, '--json')).out)[0].chosenExplicitly, true);

    const bad = await cli('choose', file, '--shot', 'harbour/nope', '1');
    assert.equal(bad.code, EXIT.badInput);
    assert.match(bad.err, /No clip "harbour\/nope".*\n.*harbour\/wide, harbour\/close, forest/);
    const noSuchTake = await cli('choose', file, '--shot', 'forest', '9');
    assert.equal(noSuchTake.code, EXIT.badInput);
    assert.match(noSuchTake.err, /"forest" has 1 take\(s\); there is no take 9/);

    // The chosen file disappears: validate (and so the Problems panel, through the same loader) says so.
    const chosenAbs = path.join(ws, wide.takes[1]?.path ?? '');
    const aside = `${chosenAbs}.aside`;
    cpSync(chosenAbs, aside);
    rmSync(chosenAbs);
    try {
      const loaded = await loadTimelineFile(file);
      assert.ok(loaded.ok);
      const w = loaded.warnings.find((p) => p.code === 'take-missing');
      assert.ok(w, JSON.stringify(loaded.warnings));
      assert.deepEqual(w.path, ['scenes', 0, 'shots', 0, 'take']);
      assert.match(w.message, /chosen take .* of shot "harbour\/wide" does not exist/);
      const v = await cli('validate', file);
      assert.match(v.err, /cut\.timeline\.json:\d+:\d+: warning: The chosen take/);
      const a = await cli('assemble', file, '--json');
      assert.equal(a.code, EXIT.badInput);
      assert.match(a.err, /TAKE_MISSING.*"harbour\/wide" \(its chosen take .* is gone\)/);
    } finally {
      cpSync(aside, chosenAbs);
      rmSync(aside);
    }
  });

  it("assembles matching takes joined by cuts by copying streams: duration is the sum, size and fps the timeline's", async () => {
    const r = await cli('assemble', file, '--json');
    assert.equal(r.code, EXIT.ok, r.err);
    const summary = JSON.parse(r.out.trim().split('\n').pop() as string) as {
      film: string;
      sidecar: string;
      mode: string;
    };
    assert.equal(summary.mode, 'copy');
    assert.ok(r.out.split('\n').some((l) => l.includes('"progress"')));
    const p = await probeFilm(ff, summary.film);
    assert.deepEqual([p.width, p.height, p.fps, p.frames], [640, 352, 24, 99]);
    assert.ok(Math.abs(p.duration - 99 / 24) < 0.05, String(p.duration));
    const side = JSON.parse(readFileSync(summary.sidecar, 'utf8')) as {
      mode: string;
      takes: { clip: string; path: string; sha256: string; in: number; out: number }[];
    };
    assert.deepEqual(
      side.takes.map((t) => t.clip),
      ['harbour/wide', 'harbour/close', 'forest'],
    );
    for (const t of side.takes) {
      assert.match(t.sha256, /^[0-9a-f]{64}$/);
      assert.ok(existsSync(path.join(ws, t.path)));
      assert.deepEqual([t.in, t.out], [0, 33 / 24]);
    }
    // Never overwrites: an existing --out is refused and left as it was.
    const size = statSync(summary.film).size;
    const again = await cli('assemble', file, '--out', summary.film, '--json');
    assert.equal(again.code, EXIT.badInput);
    assert.match(again.err, /OUTPUT_EXISTS.*exists already/);
    assert.equal(statSync(summary.film).size, size);
    assert.deepEqual(
      readdirSync(path.dirname(summary.film)).filter((n) => n.startsWith('.stv-')),
      [],
    );
  });

  it('continuity: the next shot starts on the last frame of the chosen take, re-extracted when the choice changes or a new take arrives', async () => {
    edit((t) => {
      (t.scenes[0]?.shots?.[1] as Record<string, unknown>).continuity = { from: 'previous' };
    });
    const stale = JSON.parse((await cli('takes', file, '--json')).out) as { key: string; outOfDate: string | null }[];
    assert.match(stale[1]?.outOfDate ?? '', /not extracted yet/);
    const chose = await cli('choose', file, '--shot', 'harbour/wide', '1');
    assert.equal(chose.code, EXIT.ok, chose.err);
    let t = JSON.parse(readFileSync(file, 'utf8'));
    const close = t.scenes[0].shots[1];
    assert.equal(close.continuity.take, t.scenes[0].shots[0].take);
    assert.match(close.keyframes.start, /^keyframes\/harbour_close_start_from_harbour_wide_.*\.png$/);
    assert.deepEqual(readImageSize(path.join(ws, close.keyframes.start)), { width: 640, height: 352 });
    assert.match(chose.out, /harbour\/close: start keyframe keyframes\/.*re-render harbour\/close/);

    // A new take of the earlier shot (no explicit choice now) marks the later one out of date.
    edit((x) => {
      delete (x.scenes[0]?.shots?.[0] as Record<string, unknown>).take;
    });
    await render('harbour/wide');
    const clips = JSON.parse((await cli('takes', file, '--json')).out) as { key: string; outOfDate: string | null }[];
    assert.match(clips[1]?.outOfDate ?? '', /start keyframe came from .* but "harbour\/wide"'s chosen take is now/);
    const linked = await cli('link', file);
    assert.equal(linked.code, EXIT.ok, linked.err);
    t = JSON.parse(readFileSync(file, 'utf8'));
    assert.notEqual(t.scenes[0].shots[1].keyframes.start, close.keyframes.start);
    assert.ok(existsSync(path.join(ws, close.keyframes.start)), 'the earlier keyframe is kept');
    assert.equal(JSON.parse((await cli('takes', file, '--json')).out)[1].outOfDate, null);
    // A chosen take that is not the one the keyframe came from is a loader warning too.
    const older = (JSON.parse((await cli('takes', file, '--json')).out) as { takes: { path: string }[] }[])[0]?.takes[2]
      ?.path;
    edit((x) => {
      (x.scenes[0]?.shots?.[0] as Record<string, unknown>).take = older;
    });
    const loaded = await loadTimelineFile(file);
    assert.ok(loaded.ok && loaded.warnings.some((w) => w.code === 'continuity-stale'));
    edit((x) => {
      delete (x.scenes[0]?.shots?.[0] as Record<string, unknown>).take;
    });
  });

  it('assembles crossfades, a soundtrack and a take of another size: scaled and padded, duration = sum minus overlaps, audio as long as the film', async () => {
    // A 3 s tone as the soundtrack: longer than the film, so it is trimmed and faded.
    execFileSync(ff.path, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=6',
      '-ac',
      '2',
      path.join(ws, 'tone.wav'),
    ]);
    edit((t) => {
      t.soundtrack = { file: 'tone.wav', fadeOutSeconds: 1 };
      (t.scenes[0]?.shots?.[1] as Record<string, unknown>).transition = { type: 'crossfade', seconds: 0.5 };
      (t.scenes[1] as Record<string, unknown>).transition = 'Dissolve';
      (t.scenes[1] as Record<string, unknown>).overrides = { width: 480, height: 480 };
    });
    await render('forest');
    const r = await cli('assemble', file, '--out', path.join(ws, 'films', 'crossfades.mp4'), '--json');
    assert.equal(r.code, EXIT.ok, r.err);
    const summary = JSON.parse(r.out.trim().split('\n').pop() as string) as { film: string; mode: string };
    assert.equal(summary.mode, 'encode');
    const p = await probeFilm(ff, summary.film);
    // 3 x 33 frames, minus two 0.5 s (12-frame) overlaps.
    assert.deepEqual([p.width, p.height, p.fps, p.frames], [640, 352, 24, 75]);
    assert.ok(p.audio, 'the film has the soundtrack');
    assert.ok(Math.abs((p.audio?.duration ?? 0) - 75 / 24) < 0.06, `audio ${p.audio?.duration} s`);
    // Never stretched: the square take is pillarboxed, so the film's left edge is black in its last frames.
    const px = execFileSync(
      ff.path,
      [
        '-v',
        'error',
        '-sseof',
        '-0.2',
        '-i',
        summary.film,
        '-vf',
        'crop=16:16:0:168',
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'gray',
        '-',
      ],
      { maxBuffer: 1 << 20 },
    );
    assert.ok(Math.max(...px) < 24, `left edge is not black (max ${Math.max(...px)})`);
  });

  it('exports .otio, CMX 3600 EDL and FCP XML that OpenTimelineIO reads back with clips, transitions and shot markers', async () => {
    const expected = ['harbour/wide', 'harbour/close', 'forest'];
    for (const format of ['otio', 'edl', 'fcpxml']) {
      const r = await cli('export', file, '--format', format);
      assert.equal(r.code, EXIT.ok, r.err);
      const written = /Wrote (.*) \(3 clip/.exec(r.out)?.[1] as string;
      const back = readBack(written);
      assert.equal(back.duration, 75, `${format}: track duration`);
      const clips = back.items.filter((i) => i.kind === 'clip');
      const transitions = back.items.filter((i) => i.kind === 'transition');
      assert.equal(clips.length, 3, format);
      assert.equal(transitions.length, 2, format);
      for (const t of transitions) assert.equal((t.inOff ?? 0) + (t.outOff ?? 0), 12, `${format}: a 0.5 s dissolve`);
      assert.deepEqual(
        clips.map((c) => c.markers?.[0]),
        expected,
        `${format}: markers with the shot ids`,
      );
      clips.forEach((c, i) =>
        assert.match(
          String(c.url),
          new RegExp(`renders/${expected[i]?.split('/')[0]}/`),
          `${format}: media of ${expected[i]}`,
        ),
      );
      if (format !== 'edl') {
        assert.deepEqual(
          clips.map((c) => c.name),
          expected,
        );
        assert.deepEqual(
          clips.map((c) => [c.start, c.dur]),
          [
            [0, 27],
            [6, 21],
            [6, 27],
          ],
          `${format}: source ranges around the cut points`,
        );
      }
    }
    const again = await cli('export', file, '--format', 'otio');
    assert.match(again.out, /cut_1\.otio/, 'a second export never replaces the first');
    const t = JSON.parse(readFileSync(file, 'utf8'));
    t.defaults.fps = 16;
    writeFileSync(path.join(ws, 'sixteen.timeline.json'), JSON.stringify(t));
    const edl16 = await cli('export', path.join(ws, 'sixteen.timeline.json'), '--format', 'edl');
    assert.equal(edl16.code, EXIT.badInput);
    assert.match(edl16.err, /EDL's timecode runs at 24, 25, 30.*this film is 16 fps/);
  });

  it('a clip without a take is an error naming it, or is rendered first with --render-missing; cancel leaves nothing behind', async () => {
    edit((t) => {
      t.scenes.push({
        id: 'coda',
        title: 'Coda',
        prompt: 'The sea at night',
        keyframes: { start: 'keyframes/city-rain.png' },
      } as never);
    });
    const missing = await cli('assemble', file, '--json');
    assert.equal(missing.code, EXIT.badInput);
    assert.match(missing.err, /TAKE_MISSING.*"coda" \(never rendered\)/);
    const r = await cli(
      'assemble',
      file,
      '--render-missing',
      '--provider',
      'fastvideo-local',
      '--endpoint',
      adapter.url,
      '--json',
    );
    assert.equal(r.code, EXIT.ok, r.err);
    const summary = JSON.parse(r.out.trim().split('\n').pop() as string) as { film: string };
    assert.equal((await probeFilm(ff, summary.film)).frames, 75 + 33);

    const loaded = await loadTimelineFile(file);
    assert.ok(loaded.ok);
    const clips = await timelineTakes(loaded.timeline, file, { outputRoot: path.join(ws, 'renders') });
    const plan = await planCut(loaded.timeline, file, clips, ff);
    const ac = new AbortController();
    const out = path.join(ws, 'films', 'cancelled.mp4');
    await assert.rejects(
      assemble(plan, ff, { out, signal: ac.signal, onProgress: () => ac.abort() }),
      /CANCELLED|cancelled/,
    );
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(path.join(ws, 'films')).filter((n) => n.startsWith('.stv-')),
      [],
    );
  });
});
