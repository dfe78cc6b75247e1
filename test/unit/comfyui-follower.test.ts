/**
 * The ComfyUI prompt follower's state machine, transition by transition: every state against every
 * event, written out here independently of the table in follower.ts, so a change to either shows.
 * Its behaviour against servers is tested in comfyui-provider.test.ts (fake) and comfyui-real.test.ts.
 */
import * as assert from 'node:assert/strict';
import { TRANSITIONS, nextState, type FollowEvent, type FollowState } from '../../src/core/providers/comfyui/follower';

const S = 'submitted',
  R = 'running',
  C = 'cancelling',
  X = 'settled';
// prettier-ignore
const table: [FollowState, FollowEvent, FollowState, string][] = [
  [S, 'started',     R, 'execution_start for our prompt'],
  [S, 'finished',    X, 'done before we heard it start (a fast server, or the socket was down)'],
  [S, 'failed',      X, 'rejected at run time, or the server lost it'],
  [S, 'interrupted', X, 'someone cancelled it in ComfyUI'],
  [S, 'abort',       C, 'the user cancelled while it waits in the queue'],
  [S, 'cancel-done', S, 'no cancel is on its way: ignored'],
  [S, 'deadline',    X, 'timed out in the queue'],
  [R, 'started',     R, 'a repeated execution_start changes nothing'],
  [R, 'finished',    X, 'history holds its outputs'],
  [R, 'failed',      X, 'execution_error'],
  [R, 'interrupted', X, 'execution_interrupted'],
  [R, 'abort',       C, 'the user cancelled while it runs'],
  [R, 'cancel-done', R, 'no cancel is on its way: ignored'],
  [R, 'deadline',    X, 'timed out while running'],
  [C, 'started',     C, 'it started before the delete landed: still cancelling'],
  [C, 'finished',    X, 'it finished anyway: the video is discarded'],
  [C, 'failed',      X, 'an error ends it too'],
  [C, 'interrupted', X, 'ComfyUI confirmed the interrupt'],
  [C, 'abort',       C, 'a second cancel changes nothing'],
  [C, 'cancel-done', X, 'deleted from the queue, absent, unanswered, or the grace ran out'],
  [C, 'deadline',    X, 'the deadline still ends a cancel that ComfyUI never confirms'],
  [X, 'started',     X, 'settled is final'],
  [X, 'finished',    X, 'settled is final'],
  [X, 'failed',      X, 'settled is final'],
  [X, 'interrupted', X, 'settled is final'],
  [X, 'abort',       X, 'settled is final'],
  [X, 'cancel-done', X, 'settled is final'],
  [X, 'deadline',    X, 'settled is final'],
];

describe('ComfyUI prompt follower: state machine', () => {
  for (const [from, event, to, why] of table) {
    it(`${from} --${event}--> ${to}: ${why}`, () => {
      assert.equal(nextState(from, event), to);
    });
  }

  it('the table above covers every state and event of TRANSITIONS, and nothing else', () => {
    const states = Object.keys(TRANSITIONS) as FollowState[];
    const events = [...new Set(table.map(([, e]) => e))];
    assert.deepEqual(new Set(states), new Set(table.map(([s]) => s)));
    assert.equal(table.length, states.length * events.length, 'one row per state and event');
    for (const s of states)
      for (const e of Object.keys(TRANSITIONS[s]) as FollowEvent[])
        assert.ok(events.includes(e), `${s} lists an event the test does not know: ${e}`);
  });
});
