import { describe, expect, it } from 'vitest';
import { PartitionProgress } from './partition-progress';

function tracker(stuckAfterMs = 1_000) {
  let now = 0;
  const progress = new PartitionProgress('attribution', stuckAfterMs, () => now);
  return { progress, advance: (ms: number) => (now += ms) };
}

describe('PartitionProgress', () => {
  it('reports a partition whose pending batch has not moved for the limit, naming it, its offset and its failures', () => {
    const { progress, advance } = tracker();
    progress.batchStarted('raw', 3, '40', '100');
    progress.failed('raw', 3, new TypeError('boom'));
    advance(999);
    expect(progress.stuck()).toEqual([]);
    advance(1);
    expect(progress.stuck()).toEqual([
      {
        groupId: 'attribution',
        topic: 'raw',
        partition: 3,
        offset: '40',
        highWatermark: '100',
        since: new Date(0).toISOString(),
        failures: 1,
        lastError: 'TypeError',
      },
    ]);
  });

  it('keeps the time across redeliveries of the same messages, and restarts it when the position moves', () => {
    const { progress, advance } = tracker();
    progress.batchStarted('raw', 0, '10', '20');
    advance(800);
    progress.batchStarted('raw', 0, '10', '21');
    advance(300);
    expect(progress.stuck().map(({ offset }) => offset)).toEqual(['10']);
    progress.advanced('raw', 0, '15');
    expect(progress.stuck()).toEqual([]);
    advance(1_000);
    expect(progress.stuck().map(({ offset }) => offset)).toEqual(['15']);
    progress.batchDone('raw', 0);
    expect(progress.stuck()).toEqual([]);
  });

  it('never reports an idle partition, nor one it no longer holds after a rebalance', () => {
    const { progress, advance } = tracker();
    progress.batchStarted('raw', 1, '0', '5');
    progress.batchStarted('raw', 2, '0', '5');
    progress.batchDone('raw', 1);
    progress.assigned({ raw: [0, 1] });
    advance(10_000);
    expect(progress.stuck()).toEqual([]);
  });
});
