import { visitorKey, type VisitorRef } from '@touchstream/attribution-model';

export { visitorKey };

/** The VisitorRef of a stored key ("a:<anonymousId>" or "u:<userId>"). */
export function visitorOfKey(key: string): VisitorRef {
  if (key.startsWith('a:')) return { kind: 'anonymous', id: key.slice(2) };
  if (key.startsWith('u:')) return { kind: 'user', id: key.slice(2) };
  throw new Error('malformed visitor key in the attribution store');
}

/** A stable 32-bit FNV-1a hash of a key, as a Postgres int4: its advisory-lock key. */
export function lockKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
