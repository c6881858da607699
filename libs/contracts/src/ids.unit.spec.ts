import { describe, expect, it } from 'vitest';
import { deterministicId } from './ids';

describe('deterministicId', () => {
  it('gives the same id for the same parts and a UUID shape', () => {
    const id = deterministicId('ns', 'a', 'b');
    expect(id).toBe(deterministicId('ns', 'a', 'b'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('separates parts so that shifting characters between them changes the id', () => {
    expect(deterministicId('ns', 'ab', 'c')).not.toBe(deterministicId('ns', 'a', 'bc'));
    expect(deterministicId('ns1', 'a')).not.toBe(deterministicId('ns2', 'a'));
  });

  it('never changes: ids published by earlier versions must come out the same (Segment and consumers dedupe on them)', () => {
    expect(deterministicId('segment-sink.track', 'touch-1')).toBe('f5157f3f-f293-5581-bba7-cbe15560f7fd');
    expect(deterministicId('ns', 'caf\u00e9', '', '42')).toBe('e1f862ae-5a2c-54a4-84fb-62b47d9a641f');
  });
});
