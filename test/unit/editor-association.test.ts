import * as assert from 'node:assert/strict';
import { associationsFor, TIMELINE_PATTERN } from '../../src/vscode/editorAssociationPlan';

const VIEW = 'sceneToVideo.timeline';

describe('sceneToVideo.openTimelinesInEditor → workbench.editorAssociations', () => {
  it('adds the association when the setting is on, keeping every other one', () => {
    assert.deepEqual(associationsFor(true, undefined, VIEW), { [TIMELINE_PATTERN]: VIEW });
    assert.deepEqual(associationsFor(true, { '*.md': 'vscode.markdown.preview.editor' }, VIEW), {
      '*.md': 'vscode.markdown.preview.editor',
      [TIMELINE_PATTERN]: VIEW,
    });
    // The user had chosen another editor for timelines: turning the setting on is choosing ours.
    assert.deepEqual(associationsFor(true, { [TIMELINE_PATTERN]: 'default' }, VIEW), { [TIMELINE_PATTERN]: VIEW });
  });

  it('removes only its own association when the setting is off', () => {
    assert.deepEqual(associationsFor(false, { [TIMELINE_PATTERN]: VIEW, '*.md': 'x' }, VIEW), { '*.md': 'x' });
    assert.equal(associationsFor(false, { [TIMELINE_PATTERN]: 'default' }, VIEW), undefined, "the user's own choice");
  });

  it('writes nothing when the associations already agree (activation runs it in every window)', () => {
    assert.equal(associationsFor(false, undefined, VIEW), undefined);
    assert.equal(associationsFor(false, { '*.md': 'x' }, VIEW), undefined);
    assert.equal(associationsFor(true, { [TIMELINE_PATTERN]: VIEW, '*.md': 'x' }, VIEW), undefined);
  });
});
