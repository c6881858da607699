import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, traceIdOf, traceparentOf } from './trace-context';

describe('traceparentOf', () => {
  it('is a valid W3C traceparent: one trace per correlation id, one span per event', () => {
    const raw = traceparentOf('message-1', 'raw-event-id');
    const touch = traceparentOf('message-1', 'touch-event-id');
    expect(raw).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceIdOf(raw)).toBe(traceIdOf(touch));
    expect(raw).not.toBe(touch);
    expect(traceIdOf(traceparentOf('message-2', 'raw-event-id'))).not.toBe(traceIdOf(raw));
    expect(traceparentOf('message-1', 'raw-event-id')).toBe(raw);
  });

  it('reads the trace id of version-00 headers only', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const value of [
      undefined,
      '',
      '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    ]) {
      expect(traceIdOf(value)).toBeUndefined();
    }
  });

  it('reads and writes a traceparent: ids and the sampled flag, nothing else', () => {
    const value = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseTraceparent(value)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true });
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02')?.sampled).toBe(false);
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01')).toBeUndefined();
    expect(parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01')).toBeUndefined();
    const parsed = parseTraceparent(value);
    expect(parsed && formatTraceparent(parsed)).toBe(value);
    expect(formatTraceparent({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: false })).toBe(
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
    );
  });
});
