/**
 * Generated raw histories for the identity integration specs (test support under src/testing/:
 * left out of the build).
 */
import type { RawEvent } from '@touchstream/contracts';
import { acceptedRawEvent } from '@touchstream/identity-graph';

/** A small deterministic PRNG (mulberry32): the same seed gives the same events and shuffles. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Events over few ids and few instants: links collide, conflict, tie, and arrive before their anonymous history. */
export function generateEvents(count: number, next: () => number, messageIdPrefix = 'm'): RawEvent[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const anonymous = Array.from({ length: 30 }, (_, i) => `anon-${i}`);
  const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
  const at = () => new Date(Date.UTC(2026, 2, 1) + Math.floor(next() * 48) * 30 * 60_000).toISOString();
  return Array.from({ length: count }, (_, i) => {
    const messageId = `${messageIdPrefix}-${i}`;
    const roll = next();
    if (roll < 0.5) {
      const url = pick(['https://x.example/', 'https://x.example/pricing?utm_source=ads', 'https://x.example/blog']);
      return acceptedRawEvent({ type: 'page', messageId, anonymousId: pick(anonymous), context: { page: { url } }, timestamp: at() });
    }
    if (roll < 0.7) {
      return acceptedRawEvent({
        type: 'identify',
        messageId,
        anonymousId: pick(anonymous),
        userId: pick(users),
        traits: { plan: pick(['free', 'pro', 'team']), seats: Math.floor(next() * 10) },
        timestamp: at(),
      });
    }
    if (roll < 0.85)
      return acceptedRawEvent({
        type: 'track',
        event: 'Clicked',
        messageId,
        anonymousId: pick(anonymous),
        userId: pick(users),
        timestamp: at(),
      });
    if (roll < 0.95) return acceptedRawEvent({ type: 'track', event: 'Server Side', messageId, userId: pick(users), timestamp: at() });
    return acceptedRawEvent({ type: 'alias', messageId, previousId: pick(anonymous), userId: pick(users), timestamp: at() });
  });
}

export function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
