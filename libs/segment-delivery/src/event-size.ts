import type { SegmentCall } from './calls';
import { FIRST_TOUCH_PREFIX, LAST_TOUCH_PREFIX, type SourceFieldKey } from './source-fields';

/**
 * Fields dropped, in this order, from an event over the per-event limit: the raw referrer and URL
 * first (they are the only unbounded values on a touch, and the classification already says what
 * they meant), then the free-text campaign details. Identity, timestamps, channel, source and
 * medium are never dropped: an event without them is not worth sending.
 */
export const TRIMMABLE_FIELDS: readonly (readonly SourceFieldKey[])[] = [
  ['referrer'],
  ['url'],
  ['campaign_content', 'campaign_term', 'search_term', 'click_id'],
];

export type FittedEvent<E extends SegmentCall = SegmentCall> =
  { ok: true; event: E; json: string; bytes: number; trimmed: string[] } | { ok: false; reason: string; bytes: number };

/** UTF-8 bytes of a string: what Segment counts (string length counts UTF-16 units). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Serialises an event and checks it against the per-event limit; an event over it is trimmed of
 * optional fields step by step, and refused with its reason when even that is not enough.
 */
export function fitEvent<E extends SegmentCall>(event: E, maxEventBytes: number): FittedEvent<E> {
  let current = event;
  let json = JSON.stringify(current);
  let bytes = utf8Bytes(json);
  const trimmed: string[] = [];
  for (const group of TRIMMABLE_FIELDS) {
    if (bytes <= maxEventBytes) break;
    const { event: smaller, removed } = withoutFields(current, group);
    if (removed.length === 0) continue;
    current = smaller;
    trimmed.push(...removed);
    json = JSON.stringify(current);
    bytes = utf8Bytes(json);
  }
  if (bytes <= maxEventBytes) return { ok: true, event: current, json, bytes, trimmed };
  const after = trimmed.length > 0 ? ` after dropping ${trimmed.join(', ')}` : '';
  return { ok: false, bytes, reason: `${event.type} event is ${bytes} bytes${after}, over the ${maxEventBytes}-byte limit per event` };
}

function withoutFields<E extends SegmentCall>(event: E, fields: readonly SourceFieldKey[]): { event: E; removed: string[] } {
  const bag: Record<string, string> = event.type === 'identify' ? event.traits : event.properties;
  const names = new Set(fields.flatMap((field) => [field, `${FIRST_TOUCH_PREFIX}${field}`, `${LAST_TOUCH_PREFIX}${field}`]));
  const kept: Record<string, string> = {};
  const removed: string[] = [];
  for (const [key, value] of Object.entries(bag)) {
    if (names.has(key)) removed.push(key);
    else kept[key] = value;
  }
  if (removed.length === 0) return { event, removed };
  return { event: event.type === 'identify' ? { ...event, traits: kept } : { ...event, properties: kept }, removed };
}
