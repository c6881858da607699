import { describe, expect, it } from 'vitest';
import { describeProgress, gaugeValue, settleVerdict, type PipelineSnapshot } from './settle';

function snapshot(lags: { identity: number; attribution: number; sink: number }, outbox = { identity: 0, attribution: 0 }, ends = 100) {
  return {
    groups: [
      { service: 'identity', groupId: 'identity', lag: lags.identity, endOffsets: ends },
      { service: 'attribution', groupId: 'attribution', lag: lags.attribution, endOffsets: ends + 40 },
      { service: 'segment-sink', groupId: 'segment-sink', lag: lags.sink, endOffsets: ends / 2 },
    ],
    outboxes: [
      { service: 'identity', pending: outbox.identity },
      { service: 'attribution', pending: outbox.attribution },
    ],
  } satisfies PipelineSnapshot;
}

const idle = snapshot({ identity: 0, attribution: 0, sink: 0 });

describe('settleVerdict', () => {
  it('is settled after two looks in a row with nothing outstanding and the same end offsets', () => {
    expect(settleVerdict(idle, snapshot({ identity: 0, attribution: 0, sink: 0 }))).toEqual({ settled: true, waitingFor: [] });
  });

  it('needs a second look: the first one alone may have raced a publish', () => {
    expect(settleVerdict(undefined, idle)).toEqual({ settled: false, waitingFor: ['a second look'] });
  });

  it('names every group with lag and every outbox with rows left', () => {
    const busy = snapshot({ identity: 0, attribution: 120, sink: 3 }, { identity: 0, attribution: 7 });
    expect(settleVerdict(idle, busy)).toEqual({
      settled: false,
      waitingFor: ['attribution lag 120', 'segment-sink lag 3', 'attribution outbox 7'],
    });
  });

  it('is not settled when the look before still had work, even if this one has none', () => {
    const before = snapshot({ identity: 0, attribution: 0, sink: 1 });
    expect(settleVerdict(before, idle)).toEqual({ settled: false, waitingFor: ['a second look'] });
  });

  it('is not settled when messages arrived between two idle looks', () => {
    const later = snapshot({ identity: 0, attribution: 0, sink: 0 }, undefined, 101);
    expect(settleVerdict(idle, later)).toEqual({ settled: false, waitingFor: ['new messages since the last look'] });
  });

  it('is not settled when the two looks measured different groups, or none', () => {
    const fewer = { ...idle, groups: idle.groups.slice(1) };
    expect(settleVerdict(fewer, idle).settled).toBe(false);
    const empty = { groups: [], outboxes: [] };
    expect(settleVerdict(empty, empty)).toEqual({ settled: false, waitingFor: ['no consumer group measured'] });
  });
});

describe('describeProgress', () => {
  it('lists every group and outbox in pipeline order', () => {
    expect(describeProgress(snapshot({ identity: 1, attribution: 2, sink: 3 }, { identity: 4, attribution: 5 }))).toBe(
      'identity lag 1 · attribution lag 2 · segment-sink lag 3 · identity outbox 4 · attribution outbox 5',
    );
  });
});

describe('gaugeValue', () => {
  const text = [
    '# HELP touchstream_outbox_pending Outbox rows not yet acknowledged by the broker',
    '# TYPE touchstream_outbox_pending gauge',
    'touchstream_outbox_pending{service="attribution"} 3',
    'touchstream_outbox_pending{service="attribution",shard="b"} 2',
    'touchstream_outbox_pending_total 99',
    'touchstream_identity_consumer_lag 7',
  ].join('\n');

  it('sums the metric over its label sets and ignores metrics that only share its prefix', () => {
    expect(gaugeValue(text, 'touchstream_outbox_pending')).toBe(5);
    expect(gaugeValue(text, 'touchstream_identity_consumer_lag')).toBe(7);
  });

  it('is undefined for a metric the service does not expose', () => {
    expect(gaugeValue(text, 'touchstream_sink_queued_events')).toBeUndefined();
  });
});
