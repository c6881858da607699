import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthCheck = { ok: true } | { ok: false; message: string };

export type HeaderKey = { kind: 'absent' } | { kind: 'malformed' } | { kind: 'key'; key: string };

/**
 * The write key from `Authorization: Basic base64("KEY:")`, as Segment's SDKs send it (the key is
 * the user name, the password is empty or ignored).
 */
export function writeKeyFromHeader(authorization: string | undefined): HeaderKey {
  if (authorization === undefined || authorization === '') return { kind: 'absent' };
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!match) return { kind: 'malformed' };
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const key = colon === -1 ? decoded : decoded.slice(0, colon);
  return key.length > 0 ? { kind: 'key', key } : { kind: 'malformed' };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Timing-safe membership: digests have equal lengths, and every configured key is compared. */
export function checkWriteKey(key: string | undefined, configured: readonly string[]): AuthCheck {
  if (configured.length === 0) {
    return { ok: false, message: 'no write keys are configured on this server: set INGEST_WRITE_KEYS to accept Tracking API requests' };
  }
  if (key === undefined || key === '') {
    return {
      ok: false,
      message: 'a write key is required: HTTP Basic auth with the write key as user name and an empty password, or "writeKey" in the body',
    };
  }
  const given = digest(key);
  let found = false;
  for (const candidate of configured) found = timingSafeEqual(given, digest(candidate)) || found;
  return found ? { ok: true } : { ok: false, message: 'unknown write key' };
}
