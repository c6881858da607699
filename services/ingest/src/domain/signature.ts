import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What an `X-Signature` may cover. `body` (the default): the whole raw body, nothing else.
 * `first-event`: also a JSON-array body whose signature covers only its first element's raw
 * bytes, as some versions of Segment's Webhooks (Actions) sign a batch (`JSON.stringify` of the
 * first event). Only that first element is then authenticated: the caller must refuse the rest.
 */
export type SignatureScope = 'body' | 'first-event';

export type SignatureCheck = { ok: true; covers: 'body' | 'first-element' } | { ok: false; message: string };

/**
 * Segment's webhook signature: `X-Signature` is the hex HMAC-SHA1 of the request body under the
 * shared secret. Comparison is on raw bytes and timing-safe; there is no timestamp in the
 * signature, so replays are possible and harmless only because the raw topic's consumers dedupe
 * on messageId.
 */
export function verifySignature(
  rawBody: Buffer,
  header: string | undefined,
  secret: string,
  scope: SignatureScope = 'body',
): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, message: 'X-Signature header is missing' };
  const given = parseHex(header.trim());
  if (!given) return { ok: false, message: 'X-Signature is not a hex-encoded HMAC-SHA1 (40 hex digits)' };
  if (matches(given, hmac(secret, rawBody))) return { ok: true, covers: 'body' };
  if (scope === 'first-event') {
    const first = firstArrayElement(rawBody);
    if (first && matches(given, hmac(secret, first))) return { ok: true, covers: 'first-element' };
  }
  return { ok: false, message: 'X-Signature does not match the request body' };
}

function hmac(secret: string, content: Buffer): Buffer {
  return createHmac('sha1', secret).update(content).digest();
}

function parseHex(value: string): Buffer | undefined {
  const hex = value.toLowerCase().startsWith('sha1=') ? value.slice(5) : value;
  return /^[0-9a-fA-F]{40}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

function matches(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const isSpace = (byte: number | undefined) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * The raw bytes of the first element of a JSON array body (`[ <first>, ... ]`), found by a
 * scan that tracks strings and nesting; undefined when the body is not an array. It does not
 * validate JSON: a malformed body fails to parse afterwards anyway.
 */
export function firstArrayElement(raw: Buffer): Buffer | undefined {
  let i = 0;
  while (isSpace(raw[i])) i += 1;
  if (raw[i] !== 0x5b /* [ */) return undefined;
  i += 1;
  while (isSpace(raw[i])) i += 1;
  const start = i;
  let depth = 0;
  let inString = false;
  for (; i < raw.length; i += 1) {
    const byte = raw[i];
    if (inString) {
      if (byte === 0x5c /* \ */) i += 1;
      else if (byte === 0x22 /* " */) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) depth += 1;
    else if (byte === 0x7d || byte === 0x5d) {
      if (depth === 0) break;
      depth -= 1;
    } else if (byte === 0x2c /* , */ && depth === 0) break;
  }
  let end = i;
  while (end > start && isSpace(raw[end - 1])) end -= 1;
  return end > start ? raw.subarray(start, end) : undefined;
}
