/**
 * What touchstream can store, whatever Segment itself accepts. An event outside these limits is
 * refused at the edge (ingest's rejected topic, the importer's rejected topic) with its reason,
 * because once in the raw topic every consumer would fail on it: Postgres `text` and `jsonb`
 * cannot hold U+0000 or a lone surrogate, its btree indexes refuse keys over about 2.7 KB, and
 * its timestamps (and JavaScript's) overflow when a session window or a look-back is added to
 * a date near their ends. README and docs/operations.md document the same numbers.
 */
export const SEGMENT_EVENT_LIMITS = {
  /** userId, anonymousId, previousId, groupId and messageId, in UTF-16 code units (at most 765 UTF-8 bytes each). */
  maxIdLength: 255,
  /** Objects and arrays inside one event (the event object itself is level 1). */
  maxNestingDepth: 64,
  /** Every timestamp of an event (timestamp, originalTimestamp, sentAt, receivedAt, the corrected time). */
  earliestTimestamp: '1970-01-01T00:00:00.000Z',
  latestTimestamp: '2999-12-31T23:59:59.999Z',
} as const;

export const EARLIEST_EVENT_MS = Date.parse(SEGMENT_EVENT_LIMITS.earliestTimestamp);
export const LATEST_EVENT_MS = Date.parse(SEGMENT_EVENT_LIMITS.latestTimestamp);

/** Parseable and inside the storable range. */
export function isStorableTime(ms: number): boolean {
  return !Number.isNaN(ms) && ms >= EARLIEST_EVENT_MS && ms <= LATEST_EVENT_MS;
}

export const TIMESTAMP_RANGE_MESSAGE = `must be a timestamp between ${SEGMENT_EVENT_LIMITS.earliestTimestamp} and ${SEGMENT_EVENT_LIMITS.latestTimestamp}`;

/** U+0000 or an unpaired UTF-16 surrogate: text Postgres refuses (22021 / 22P05). */
const UNSTORABLE_TEXT = /\u0000|\p{Cs}/u;

export type TextProblem = 'nul' | 'lone-surrogate';

/** Text Postgres can store: no U+0000, no unpaired surrogate (ids in debug URLs are checked with it before any query). */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE_TEXT.test(text);
}

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain the NUL character (U+0000) or an unpaired UTF-16 surrogate';

export function textProblem(text: string): TextProblem | undefined {
  if (!UNSTORABLE_TEXT.test(text)) return undefined;
  return text.includes('\u0000') ? 'nul' : 'lone-surrogate';
}

export interface StructureProblem {
  /** Dotted path to the value (or key) at fault; '' for the event itself. */
  path: string;
  message: string;
}

/**
 * The first value of a parsed JSON document that cannot be stored: nesting deeper than
 * `maxDepth`, or a string or key holding U+0000 or a lone surrogate. Iterative, so a document
 * nested thousands of levels deep costs no stack; it stops at the first problem.
 */
export function structureProblem(value: unknown, maxDepth: number): StructureProblem | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 1, path: '' }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; depth: number; path: string };
    if (typeof item.value === 'string') {
      const problem = textProblem(item.value);
      if (problem) return { path: item.path, message: textMessage(problem) };
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth > maxDepth) return { path: item.path, message: `nested deeper than ${maxDepth} levels` };
    const child = (key: string) => (item.path ? `${item.path}.${printable(key)}` : printable(key));
    if (Array.isArray(item.value)) {
      item.value.forEach((element, index) => stack.push({ value: element, depth: item.depth + 1, path: child(String(index)) }));
      continue;
    }
    for (const [key, element] of Object.entries(item.value)) {
      const problem = textProblem(key);
      if (problem) return { path: child(key), message: `key ${textMessage(problem)}` };
      stack.push({ value: element, depth: item.depth + 1, path: child(key) });
    }
  }
  return undefined;
}

/** A key named in a reason is itself stored and shown: what cannot be stored becomes U+FFFD. */
function printable(key: string): string {
  return UNSTORABLE_TEXT.test(key) ? key.replace(/\u0000|\p{Cs}/gu, '\uFFFD') : key;
}

/** Whether a parsed JSON document nests objects and arrays deeper than `maxDepth` (iterative: no stack). */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; depth: number };
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth > maxDepth) return true;
    for (const element of Array.isArray(item.value) ? item.value : Object.values(item.value)) {
      if (typeof element === 'object' && element !== null) stack.push({ value: element, depth: item.depth + 1 });
    }
  }
  return false;
}

function textMessage(problem: TextProblem): string {
  return problem === 'nul' ? 'must not contain the NUL character (U+0000)' : 'must not contain an unpaired UTF-16 surrogate';
}
