import { createHash } from 'node:crypto';

/**
 * A deterministic id: the same parts always give the same id, so a redelivered or replayed
 * message is recognised downstream (up to Segment, which dedupes on messageId).
 * Formatted as a UUID (version nibble 5, RFC 4122 variant) so it fits every "id" column and
 * stays well under Segment's 100-character messageId limit.
 */
export function deterministicId(namespace: string, ...parts: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(namespace);
  for (const part of parts) {
    // Length-prefix each part so ('ab','c') and ('a','bc') differ.
    hash.update(`\u0000${part.length}:${part}`);
  }
  const hex = hash.digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
