import * as assert from 'node:assert/strict';
import { StvError, toStvError } from '../../src/core/errors';

describe('StvError', () => {
  it('keeps code, message and hint, and links a troubleshooting anchor', () => {
    const e = new StvError('CUDA_OOM', 'The GPU ran out of memory.', 'Render fewer frames.');
    assert.deepEqual(e.toJSON(), {
      code: 'CUDA_OOM',
      message: 'The GPU ran out of memory.',
      hint: 'Render fewer frames.',
    });
    assert.equal(e.docsAnchor, 'docs/troubleshooting.md#cuda-oom');
  });
  it('turns an AbortError into CANCELLED and anything else into the fallback code', () => {
    const abort = new DOMException('aborted', 'AbortError');
    assert.equal(toStvError(abort).code, 'CANCELLED');
    assert.equal(toStvError(new Error('boom'), 'UNREACHABLE').code, 'UNREACHABLE');
  });
});
