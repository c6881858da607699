/**
 * The figures of one fault, from what the load sent and what the Segment receiver accepted, by
 * messageId. Pure: the fault suite feeds it, its unit test checks the arithmetic.
 */

export interface SentEvent {
  messageId: string;
  /** When ingest accepted it (undefined: it never was, so nothing is expected of it). */
  acceptedAt?: number;
}

export interface Deliveries {
  /** Copies of a messageId the receiver accepted (0: none). */
  copies(messageId: string): number;
  /** When the first copy of a messageId arrived. */
  arrivedAt(messageId: string): number | undefined;
}

export interface FaultFigures {
  fault: string;
  /** Events ingest accepted while the fault was under way (before, during and after it). */
  accepted: number;
  /** Accepted events each of whose expected calls arrived exactly once. */
  deliveredOnce: number;
  /** Accepted events with an expected call that arrived more than once (Segment drops the copies by messageId). */
  duplicated: number;
  /** Copies beyond the first, over all expected calls. */
  extraCopies: number;
  /** Accepted events with an expected call that never arrived. */
  missing: number;
  /** Up to ten of them, to look for. */
  missingIds: string[];
  /**
   * Seconds from the fault's end until the events accepted before it are all delivered and the
   * first event accepted after it has arrived too; null when something is missing or no event
   * was accepted after it.
   */
  recoverSeconds: number | null;
  /** The longest time from ingest's 200 to the last expected call of an event arriving. */
  maxLatencySeconds: number | null;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function faultFigures<E extends SentEvent>(
  fault: string,
  events: readonly E[],
  expectedCalls: (event: E) => readonly string[],
  deliveries: Deliveries,
  endedAt: number,
): FaultFigures {
  const figures: FaultFigures = {
    fault,
    accepted: 0,
    deliveredOnce: 0,
    duplicated: 0,
    extraCopies: 0,
    missing: 0,
    missingIds: [],
    recoverSeconds: null,
    maxLatencySeconds: null,
  };
  let backlogDeliveredAt = endedAt;
  let firstAfter: { acceptedAt: number; deliveredAt: number } | undefined;
  let maxLatency: number | undefined;
  for (const event of events) {
    if (event.acceptedAt === undefined) continue;
    figures.accepted += 1;
    const calls = expectedCalls(event);
    const copies = calls.map((call) => deliveries.copies(call));
    if (copies.some((count) => count === 0)) {
      figures.missing += 1;
      if (figures.missingIds.length < 10) figures.missingIds.push(event.messageId);
      continue;
    }
    if (copies.every((count) => count === 1)) figures.deliveredOnce += 1;
    else figures.duplicated += 1;
    figures.extraCopies += copies.reduce((sum, count) => sum + count - 1, 0);
    const deliveredAt = Math.max(...calls.map((call) => deliveries.arrivedAt(call) ?? 0));
    maxLatency = Math.max(maxLatency ?? 0, deliveredAt - event.acceptedAt);
    if (event.acceptedAt < endedAt) backlogDeliveredAt = Math.max(backlogDeliveredAt, deliveredAt);
    else if (!firstAfter || event.acceptedAt < firstAfter.acceptedAt) firstAfter = { acceptedAt: event.acceptedAt, deliveredAt };
  }
  if (maxLatency !== undefined) figures.maxLatencySeconds = seconds(maxLatency);
  if (figures.missing === 0 && firstAfter) {
    figures.recoverSeconds = seconds(Math.max(backlogDeliveredAt, firstAfter.deliveredAt) - endedAt);
  }
  return figures;
}

/** The per-fault table the suite prints at the end. */
export function figuresTable(rows: ReadonlyArray<FaultFigures & { outcome: string }>): string {
  const header = ['fault', 'accepted', 'delivered once', 'duplicated', 'missing', 'recover s', 'max latency s', 'outcome'];
  const cells = rows.map((row) => [
    row.fault,
    String(row.accepted),
    String(row.deliveredOnce),
    row.extraCopies > 0 ? `${row.duplicated} (${row.extraCopies} copies)` : String(row.duplicated),
    String(row.missing),
    row.recoverSeconds === null ? '-' : row.recoverSeconds.toFixed(1),
    row.maxLatencySeconds === null ? '-' : row.maxLatencySeconds.toFixed(1),
    row.outcome,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => (row[column] as string).length)));
  const line = (values: readonly string[]) => `| ${values.map((value, column) => value.padEnd(widths[column] as number)).join(' | ')} |`;
  return [line(header), `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`, ...cells.map(line)].join('\n');
}
