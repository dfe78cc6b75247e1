/**
 * ComfyUI keyframes (issue 21) without a server: the built-in text-to-image workflow and its mapping,
 * the user's image workflow with a mapping (refusing what a still from a prompt has no value for),
 * the still read from a history entry's `images`, and gemDirect1's imageWorkflowProfile imported
 * onto the image workflow settings. test/unit/comfyui-real.test.ts runs the same path on a real server.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StvError } from '../../src/core/errors';
import { imageWorkflowFrom } from '../../src/core/providers/comfyui';
import { pickImage } from '../../src/core/providers/comfyui/provider';
import {
  BUILTIN_IMAGE_MAPPING,
  builtinImageWorkflow,
  builtinWorkflow,
  fillWorkflow,
  parseImageMapping,
} from '../../src/core/providers/comfyui/workflow';
import type { HistoryEntry } from '../../src/core/providers/comfyui/wire';
import { importLocalGenSettings } from '../../src/core/settings/localGenSettings';
import { DEFAULT_SETTINGS } from '../../src/core/settings/schema';

const T2I = {
  '3': { class_type: 'KSampler', inputs: { seed: 1, steps: 20, cfg: 5 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: '' } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: '' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'ComfyUI' } },
};

describe('ComfyUI keyframes: workflows and mappings (issue 21)', () => {
  it('the built-in image workflow is the built-in video one at one frame, saved as an image: no other model file', () => {
    const image = builtinImageWorkflow();
    const video = builtinWorkflow();
    for (const id of ['1', '2', '3']) assert.deepEqual(image[id], video[id], `loader ${id} is the video workflow's`);
    assert.equal(image['7']?.class_type, 'Wan22ImageToVideoLatent');
    assert.equal(image['7']?.inputs.length, 1);
    assert.ok(!('start_image' in (image['7']?.inputs ?? {})), 'drawn from the prompt alone');
    assert.equal(image['12']?.class_type, 'SaveImage');
    assert.ok(!Object.values(image).some((n) => /^(CreateVideo|SaveVideo|LoadImage)$/.test(n.class_type)));
  });

  it('fills the prompt, size, seed and steps into the built-in image workflow and leaves the length at 1', () => {
    const filled = fillWorkflow(builtinImageWorkflow(), BUILTIN_IMAGE_MAPPING, {
      request: {
        sceneId: 's',
        prompt: 'a pier at night',
        negativePrompt: 'blur',
        width: 640,
        height: 352,
        numFrames: 1,
        fps: 1,
        seed: 77,
        steps: 12,
      },
      filenamePrefix: 'scene-to-video/s/keyframe',
    });
    assert.equal(filled['5']?.inputs.text, 'a pier at night');
    assert.equal(filled['6']?.inputs.text, 'blur');
    assert.deepEqual(
      [filled['7']?.inputs.width, filled['7']?.inputs.height, filled['7']?.inputs.length],
      [640, 352, 1],
    );
    assert.deepEqual([filled['9']?.inputs.seed, filled['9']?.inputs.steps], [77, 12]);
    assert.equal(filled['12']?.inputs.filename_prefix, 'scene-to-video/s/keyframe');
  });

  it("maps the user's image workflow, refusing a keyframe, length or fps target and a mapping without the prompt", () => {
    const m = parseImageMapping(
      { '6:text': 'human_readable_prompt', '7:text': 'negative_prompt', '5:width': 'width', '3:seed': 'seed' },
      T2I,
    );
    assert.deepEqual(m, { '6:text': 'prompt', '7:text': 'negative_prompt', '5:width': 'width', '3:seed': 'seed' });
    assert.throws(
      () => parseImageMapping({ '6:text': 'prompt', '5:batch_size': 'length' }, T2I),
      (e: StvError) => e.code === 'WORKFLOW_INVALID' && /"5:batch_size" to "length"/.test(e.message),
    );
    assert.throws(
      () => parseImageMapping({ '5:width': 'width' }, T2I),
      (e: StvError) => e.code === 'WORKFLOW_INVALID' && /no input to "prompt"/.test(e.message),
    );
    assert.throws(
      () => parseImageMapping({ '6:txt': 'prompt' }, T2I),
      (e: StvError) => /node 6 \(CLIPTextEncode\) has no input "txt"/.test(e.message),
    );
  });

  it('reads the image workflow from the settings: the built-in without a path, the file with its mapping otherwise', async () => {
    const builtin = await imageWorkflowFrom(DEFAULT_SETTINGS.comfyUI);
    assert.match(builtin.workflowName, /built-in Wan 2\.2 TI2V 5B text-to-image/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stv-comfy-image-'));
    try {
      writeFileSync(path.join(dir, 't2i.json'), JSON.stringify(T2I));
      const own = await imageWorkflowFrom(
        { ...DEFAULT_SETTINGS.comfyUI, imageWorkflowPath: 't2i.json', imageMapping: { '6:text': 'prompt' } },
        dir,
      );
      assert.equal(own.workflowName, 't2i.json');
      assert.deepEqual(own.mapping, { '6:text': 'prompt' });
      await assert.rejects(
        imageWorkflowFrom({ ...DEFAULT_SETTINGS.comfyUI, imageWorkflowPath: 'gone.json' }, dir),
        (e: StvError) => e.code === 'WORKFLOW_INVALID' && /comfyUI\.imageWorkflowPath/.test(e.hint ?? ''),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes the saved still from a history entry's images: not a video, not an input, a preview only as a last resort", () => {
    const entry = (outputs: HistoryEntry['outputs']): HistoryEntry => ({ outputs }) as HistoryEntry;
    const f = (filename: string, type: 'output' | 'temp' | 'input') => ({ filename, subfolder: 'k', type });
    assert.equal(
      pickImage(
        entry({
          '1': { images: [f('clip.mp4', 'output')], animated: [true] },
          '2': { images: [f('prev.png', 'temp')] },
          '3': { images: [f('still_00001_.png', 'output')] },
        }),
      )?.filename,
      'still_00001_.png',
    );
    assert.equal(pickImage(entry({ '2': { images: [f('prev.png', 'temp')] } }))?.filename, 'prev.png');
    assert.equal(pickImage(entry({ '2': { images: [f('in.png', 'input')] } })), undefined);
    assert.equal(pickImage(entry({})), undefined);
  });

  it("imports gemDirect1's imageWorkflowProfile as the keyframe workflow, and not as a video one", () => {
    const imp = importLocalGenSettings({
      videoProvider: 'comfyui-local',
      workflowProfiles: {
        'wan-t2i': {
          id: 'wan-t2i',
          label: 'Wan T2I',
          workflowJson: JSON.stringify(T2I),
          mapping: { '6:text': 'human_readable_prompt', '3:seed': 'seed', '7:text': 'none' },
        },
      },
      imageWorkflowProfile: 'wan-t2i',
    });
    assert.equal(imp.imageWorkflow?.id, 'wan-t2i');
    assert.deepEqual(imp.updates['comfyUI.imageMapping'], { '6:text': 'prompt', '3:seed': 'seed' });
    assert.deepEqual(imp.workflows, []);
    assert.ok(!imp.notes.some((n) => /wan-t2i.*no video output/.test(n)), imp.notes.join('\n'));
    assert.ok(!imp.notes.some((n) => /imageWorkflowProfile/.test(n) && /Not imported/.test(n)), imp.notes.join('\n'));
    const missing = importLocalGenSettings({ workflowProfiles: {}, imageWorkflowProfile: 'nope' });
    assert.equal(missing.imageWorkflow, undefined);
    assert.ok(missing.notes.some((n) => /imageWorkflowProfile "nope" names no profile/.test(n)));
    const video = importLocalGenSettings({
      workflowProfiles: { v: { workflowJson: JSON.stringify({ '1': { class_type: 'SaveVideo', inputs: {} } }) } },
      imageWorkflowProfile: 'v',
    });
    assert.equal(video.imageWorkflow, undefined);
    assert.ok(video.notes.some((n) => /has no SaveImage node/.test(n)));
  });
});
