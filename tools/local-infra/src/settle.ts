/**
 * When has the pipeline finished with what it was given? Every consumer group has consumed up to
 * the end of its topics and every outbox has published its rows. Read in pipeline order
 * (identity, attribution, sink), one look already proves it for the events that were in the raw
 * topic before it; a second look that finds the same end offsets proves nothing new arrived while
 * looking. Pure: the demo and the end-to-end tests collect the numbers their own way.
 */

/** One consumer group: its lag summed over its partitions, and the sum of their end offsets. */
export interface GroupProgress {
  service: string;
  groupId: string;
  lag: number;
  endOffsets: number;
}

/** Rows of a service's transactional outbox not yet published. */
export interface OutboxProgress {
  service: string;
  pending: number;
}

export interface PipelineSnapshot {
  groups: GroupProgress[];
  outboxes: OutboxProgress[];
}

export interface SettleVerdict {
  settled: boolean;
  /** What is still outstanding, for a progress line; empty once settled. */
  waitingFor: string[];
}

function outstanding(snapshot: PipelineSnapshot): string[] {
  return [
    ...snapshot.groups.filter((group) => group.lag > 0).map((group) => `${group.service} lag ${group.lag}`),
    ...snapshot.outboxes.filter((outbox) => outbox.pending > 0).map((outbox) => `${outbox.service} outbox ${outbox.pending}`),
  ];
}

function sameEnds(previous: PipelineSnapshot, current: PipelineSnapshot): boolean {
  if (previous.groups.length !== current.groups.length) return false;
  return current.groups.every((group) => {
    const before = previous.groups.find((candidate) => candidate.groupId === group.groupId && candidate.service === group.service);
    return before !== undefined && before.endOffsets === group.endOffsets;
  });
}

/**
 * Settled when this look and the one before both found nothing outstanding and the same end
 * offsets. A snapshot with no group at all is never settled: it measured nothing.
 */
export function settleVerdict(previous: PipelineSnapshot | undefined, current: PipelineSnapshot): SettleVerdict {
  if (current.groups.length === 0) return { settled: false, waitingFor: ['no consumer group measured'] };
  const now = outstanding(current);
  if (now.length > 0) return { settled: false, waitingFor: now };
  if (previous === undefined || outstanding(previous).length > 0) return { settled: false, waitingFor: ['a second look'] };
  if (!sameEnds(previous, current)) return { settled: false, waitingFor: ['new messages since the last look'] };
  return { settled: true, waitingFor: [] };
}

/** "identity lag 0 · attribution lag 120 · attribution outbox 3 · segment-sink lag 0" */
export function describeProgress(snapshot: PipelineSnapshot): string {
  return [
    ...snapshot.groups.map((group) => `${group.service} lag ${group.lag}`),
    ...snapshot.outboxes.map((outbox) => `${outbox.service} outbox ${outbox.pending}`),
  ].join(' · ');
}

/**
 * A gauge's value from a Prometheus text exposition (the services' /metrics), summed over its
 * label sets; undefined when the metric is not there.
 */
export function gaugeValue(metricsText: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}
