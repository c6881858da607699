import { describe, expect, it } from 'vitest';
import { traceIdOf, traceparentOf } from './trace-context';

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
});
