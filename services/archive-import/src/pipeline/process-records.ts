import {
  canonicalJson,
  deterministicId,
  rawEventKey,
  REJECTED_EVENT_TYPE,
  SEGMENT_EVENT_LIMITS,
  admitSegmentEvent,
  nestedDeeperThan,
  type RejectedEvent,
  type ValidationIssue,
} from '@touchstream/contracts';
import { envelopeMessage, type OutgoingMessage } from '@touchstream/kafka';
import type { SourceRecord } from '../formats/source-record';
import { rowToEvent, type WarehouseTable } from '../formats/warehouse';
import { inWindow, type TimeWindow } from './time-window';

export interface ProcessContext {
  /** The file, as the rejected topic's origin.channel. */
  channel: string;
  /** The import's clock: recordedAt, and receivedAt for records that carry none. */
  now: Date;
  window: TimeWindow;
  /** For CSV rows. */
  csv?: { table: WarehouseTable; columns: readonly string[] };
}

export interface Rejection {
  line: number;
  reason: string;
}

/** What a run of records became; the order of `accepted` is the order of the input. */
export interface ProcessedRecords {
  accepted: OutgoingMessage[];
  rejected: OutgoingMessage[];
  rejections: Rejection[];
  filtered: number;
  records: number;
  /** Offset and lines done after the last record (what a checkpoint may record once all is acknowledged). */
  end: number;
  endLine: number;
}

/** Segment refuses events over 32 KB; a rejected payload kept as text is cut there. */
const MAX_PAYLOAD_TEXT = 32 * 1024;

/** Why a record was refused, and what of it the rejected topic keeps. */
interface RefusedRecord {
  line: number;
  reason: string;
  issues: ValidationIssue[];
  payload: unknown;
  messageId: string | null;
}

function rejectedMessage(context: ProcessContext, { line, reason, issues, payload, messageId }: RefusedRecord): OutgoingMessage {
  const id = deterministicId(
    'import.rejected',
    context.channel,
    String(line),
    typeof payload === 'string' ? payload : canonicalJson(payload),
  );
  const now = context.now.toISOString();
  const envelope: RejectedEvent = {
    id,
    type: REJECTED_EVENT_TYPE,
    occurredAt: now,
    recordedAt: now,
    correlationId: messageId ?? id,
    causationId: null,
    source: 'import',
    data: { reason, issues, messageId, origin: { channel: context.channel, line }, payload },
  };
  return envelopeMessage(envelope, messageId ?? id);
}

function cut(text: string): string {
  return text.length > MAX_PAYLOAD_TEXT ? text.slice(0, MAX_PAYLOAD_TEXT) : text;
}

function statedMessageId(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { messageId?: unknown }).messageId;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

/**
 * The import's core, with no I/O: parses each record, validates it with the same schemas as
 * ingest, normalises it with toRawEvent (source "import", the record's own timestamp and
 * messageId) and builds the Kafka messages for the raw or the rejected topic.
 */
export function processRecords(records: readonly SourceRecord[], context: ProcessContext): ProcessedRecords {
  const result: ProcessedRecords = { accepted: [], rejected: [], rejections: [], filtered: 0, records: 0, end: 0, endLine: 0 };
  const reject = (line: number, reason: string, issues: ValidationIssue[], payload: unknown, messageId: string | null) => {
    result.rejected.push(rejectedMessage(context, { line, reason, issues, payload, messageId }));
    result.rejections.push({ line, reason });
  };
  for (const record of records) {
    result.records++;
    result.end = record.end;
    result.endLine = record.endLine;
    let candidate: unknown;
    let received: () => unknown;
    if (record.kind === 'broken') {
      reject(record.line, record.reason, [], record.excerpt, null);
      continue;
    } else if (record.kind === 'text') {
      try {
        candidate = JSON.parse(record.text);
      } catch (error) {
        reject(record.line, `not valid JSON: ${(error as Error).message}`, [], cut(record.text), null);
        continue;
      }
      const parsed = candidate;
      const text = record.text;
      // A record nested too deep to serialise again (canonical JSON, the envelope) is kept as its text.
      received = () => (nestedDeeperThan(parsed, SEGMENT_EVENT_LIMITS.maxNestingDepth) ? cut(text) : parsed);
    } else {
      if (!context.csv) throw new Error('a CSV row needs the header and table in the context');
      const { columns } = context.csv;
      candidate = rowToEvent(context.csv.table, columns, record.values);
      received = () => Object.fromEntries(columns.map((column, i) => [column, record.values[i] ?? '']));
    }
    const admission = admitSegmentEvent(candidate, { source: 'import', receivedAt: context.now });
    if (!admission.ok) {
      reject(record.line, admission.reason, admission.issues, received(), statedMessageId(candidate));
      continue;
    }
    const { raw } = admission;
    if (!inWindow(context.window, raw.occurredAt)) {
      result.filtered++;
      continue;
    }
    result.accepted.push(envelopeMessage(raw, rawEventKey(raw.data.event)));
  }
  return result;
}
