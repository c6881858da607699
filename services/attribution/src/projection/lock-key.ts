/** A stable 32-bit FNV-1a hash of a key, as a Postgres int4: its advisory-lock key. */
export function lockKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
