import { sessionIdOf, touchIdOf } from '@touchstream/contracts';

/**
 * touchIdOf and sessionIdOf, remembered: every page view re-derives its visitor's touches, and
 * hashing the same messageIds again would be most of the work. Bounded: cleared when full.
 */
const MAX_ENTRIES = 100_000;
const touchIds = new Map<string, string>();
const sessionIds = new Map<string, string>();

function remembered(cache: Map<string, string>, messageId: string, derive: (messageId: string) => string): string {
  let id = cache.get(messageId);
  if (id === undefined) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    id = derive(messageId);
    cache.set(messageId, id);
  }
  return id;
}

export function touchIdFor(messageId: string): string {
  return remembered(touchIds, messageId, touchIdOf);
}

export function sessionIdFor(openerMessageId: string): string {
  return remembered(sessionIds, openerMessageId, sessionIdOf);
}
