import { describe, expect, it } from 'vitest';
import { incarnationReason } from './incarnation';

describe('incarnationReason', () => {
  const log = (topicId: string | null, highWatermark: string) => ({ topicId, highWatermark });

  it('trusts a position of the same topic id within the log', () => {
    expect(incarnationReason({ nextOffset: 5n, topicId: 'a' }, log('a', '9'))).toBeNull();
    expect(incarnationReason({ nextOffset: 9n, topicId: 'a' }, log('a', '9'))).toBeNull();
  });

  it('sets aside a position stored under another topic id, even within the new log', () => {
    expect(incarnationReason({ nextOffset: 5n, topicId: 'a' }, log('b', '900'))).toBe('topic-id-changed');
  });

  it('sets aside a position past the end offset when no id tells', () => {
    expect(incarnationReason({ nextOffset: 5n, topicId: null }, log('b', '2'))).toBe('beyond-end-offset');
    expect(incarnationReason({ nextOffset: 5n, topicId: 'a' }, log(null, '4'))).toBe('beyond-end-offset');
    expect(incarnationReason({ nextOffset: 5n, topicId: 'a' }, log('a', '4'))).toBe('beyond-end-offset');
  });

  it('cannot tell a new incarnation that has grown past the position without ids (the limit of the offset check)', () => {
    expect(incarnationReason({ nextOffset: 5n, topicId: null }, log('b', '50'))).toBeNull();
  });
});
