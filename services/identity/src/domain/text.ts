/** Longest id kept; a longer one is not an id a Segment SDK sends, and would not fit an index entry. */
export const MAX_ID_LENGTH = 512;
/** URLs, referrers and event names are cut to this length in the timeline (a debugging aid). */
export const MAX_TEXT_LENGTH = 2_048;
/** Trait keys longer than this are not kept. */
export const MAX_TRAIT_KEY_LENGTH = 200;

/** Postgres text cannot hold U+0000; nothing a person reads needs it. */
function withoutNul(value: string): string {
  return value.includes('\u0000') ? value.replace(/\u0000/g, '') : value;
}

/** An id as stored: NUL removed, empty or oversized ids are no ids. */
export function cleanId(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const cleaned = withoutNul(value);
  return cleaned.length > 0 && cleaned.length <= MAX_ID_LENGTH ? cleaned : null;
}

/** Free text as stored: NUL removed, cut to MAX_TEXT_LENGTH. */
export function cleanText(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return null;
  return withoutNul(value).slice(0, MAX_TEXT_LENGTH);
}

/** A JSON value as stored (jsonb refuses U+0000 in strings and keys). */
export function cleanJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, item: unknown) => (typeof item === 'string' ? withoutNul(item) : item)) ?? 'null';
}

const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface Instant {
  /** ISO-8601 in UTC with milliseconds: what is stored and published. */
  iso: string;
  /** Milliseconds since the epoch: what is compared. */
  ms: number;
}

/** Parses a timestamp; null when it is not one (or lies outside what an ISO string can say). */
export function instantOf(value: string | null | undefined): Instant | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  // The raw topic's timestamps are already in this form: keep the string, skip re-formatting it
  // (days past the 28th go the slow way: Date.parse rolls 2026-02-30 over into March).
  if (CANONICAL_ISO.test(value) && value.slice(8, 10) <= '28' && Number.isFinite(ms)) return { iso: value, ms };
  if (!Number.isFinite(ms) || ms < Date.UTC(1, 0, 1) || ms >= Date.UTC(10_000, 0, 1)) return null;
  return { iso: new Date(ms).toISOString(), ms };
}
