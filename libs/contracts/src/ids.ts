import { hash } from 'node:crypto';

/**
 * A deterministic id: the same parts always give the same id, so a redelivered or replayed
 * message is recognised downstream (up to Segment, which dedupes on messageId).
 * Formatted as a UUID (version nibble 5, RFC 4122 variant) so it fits every "id" column and
 * stays well under Segment's 100-character messageId limit.
 */
export function deterministicId(namespace: string, ...parts: readonly string[]): string {
  // Length-prefix each part so ('ab','c') and ('a','bc') differ. One string, hashed in one call:
  // the same bytes as one update per part (so the same ids), at about a third of the CPU.
  let input = namespace;
  for (const part of parts) input += `\u0000${part.length}:${part}`;
  const hex = hash('sha256', input, 'hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
