import { describe, expect, it } from 'vitest';
import { isTouchstreamCall, TOUCHSTREAM_LIBRARY_NAME } from './own-calls';

describe('isTouchstreamCall', () => {
  it("recognises the sink's library name, whatever the version", () => {
    expect(isTouchstreamCall({ context: { library: { name: TOUCHSTREAM_LIBRARY_NAME, version: '9.9.9' } } })).toBe(true);
  });

  it('takes every other sender, and malformed contexts, as input', () => {
    for (const context of [
      undefined,
      null,
      'touchstream-segment-sink',
      {},
      { library: null },
      { library: 'touchstream-segment-sink' },
      { library: { name: 'analytics-node-next', version: '3.1.0' } },
      { library: { name: 'touchstream-segment-sink-fork' } },
      { library: { name: 'TOUCHSTREAM-SEGMENT-SINK' } },
    ]) {
      expect(isTouchstreamCall({ context })).toBe(false);
    }
  });
});
