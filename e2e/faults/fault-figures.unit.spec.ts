import { describe, expect, it } from 'vitest';
import { faultFigures, figuresTable, type Deliveries, type SentEvent } from './fault-figures';

/** Arrivals as the receiver would record them: messageId -> the times its copies arrived. */
function deliveries(arrivals: Record<string, number[]>): Deliveries {
  return {
    copies: (id) => arrivals[id]?.length ?? 0,
    arrivedAt: (id) => arrivals[id]?.[0],
  };
}
const calls = (event: SentEvent) => [`track-${event.messageId}`, `identify-${event.messageId}`];

describe('faultFigures', () => {
  it('counts delivered once, duplicated and missing by messageId, and ignores events ingest never accepted', () => {
    const events: SentEvent[] = [
      { messageId: 'a', acceptedAt: 1_000 },
      { messageId: 'b', acceptedAt: 1_000 },
      { messageId: 'c', acceptedAt: 1_000 },
      { messageId: 'd' },
    ];
    const figures = faultFigures(
      'kill',
      events,
      calls,
      deliveries({
        'track-a': [1_500],
        'identify-a': [1_600],
        'track-b': [1_500, 9_000, 9_100],
        'identify-b': [1_500],
        'identify-c': [1_500],
        'track-d': [1_500],
        'identify-d': [1_500],
      }),
      5_000,
    );
    expect(figures).toMatchObject({ accepted: 3, deliveredOnce: 1, duplicated: 1, extraCopies: 2, missing: 1, missingIds: ['c'] });
    // Something is missing: no recovery to report.
    expect(figures.recoverSeconds).toBeNull();
  });

  it('recovers when the backlog from before the end and the first event after it have both arrived', () => {
    const events: SentEvent[] = [
      { messageId: 'before', acceptedAt: 1_000 },
      { messageId: 'after-1', acceptedAt: 11_000 },
      { messageId: 'after-2', acceptedAt: 12_000 },
    ];
    const arrivals = {
      'track-before': [30_000],
      'identify-before': [31_000],
      'track-after-1': [40_000],
      'identify-after-1': [41_000],
      'track-after-2': [20_000],
      'identify-after-2': [20_000],
    };
    const figures = faultFigures('broker', events, calls, deliveries(arrivals), 10_000);
    // The first event accepted after the end (after-1, not the one that happened to arrive first) at 41 s: 31 s after the end.
    expect(figures.recoverSeconds).toBe(31);
    expect(figures.maxLatencySeconds).toBe(30);
    expect(figures.deliveredOnce).toBe(3);
  });

  it('has no recovery time when nothing was accepted after the end', () => {
    const figures = faultFigures('x', [{ messageId: 'a', acceptedAt: 1 }], calls, deliveries({ 'track-a': [2], 'identify-a': [2] }), 10);
    expect(figures.recoverSeconds).toBeNull();
  });
});

describe('figuresTable', () => {
  it('prints one aligned row per fault', () => {
    const table = figuresTable([
      {
        fault: 'receiver 500',
        accepted: 12,
        deliveredOnce: 10,
        duplicated: 2,
        extraCopies: 3,
        missing: 0,
        missingIds: [],
        recoverSeconds: 1.25,
        maxLatencySeconds: 4,
        outcome: 'ok',
      },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('| receiver 500 | 12       | 10             | 2 (3 copies) | 0       | 1.3');
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });
});
