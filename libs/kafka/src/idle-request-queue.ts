import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4's RequestQueue re-arms a timer after every check of its pending requests, even
 * when nothing is pending: its delay is then `-1 - Date.now()`, which Node clamps to 1 ms, so
 * every idle broker connection spins a 1 ms timer loop for its whole life (CPU on idle services)
 * and Node 24 prints a TimeoutNegativeWarning at every start (kafkajs issues #1556, #1704, #1751;
 * unreleased upstream). With nothing pending there is nothing to check: push() schedules a check
 * again as soon as it queues a request, and with requests pending the original schedule is kept
 * (it never computes a negative delay then). Patched once, here, where kafkajs is imported; the
 * package is pinned at exactly 2.2.4, and idle-request-queue.unit.spec.ts fails if the internal
 * moves.
 */
interface RequestQueueInternals {
  pending: unknown[];
  scheduleCheckPendingRequests: (this: RequestQueueInternals) => void;
}

const kafkajsInternals = createRequire(__filename);

export const RequestQueue = kafkajsInternals('kafkajs/src/network/requestQueue') as {
  new (
    options: Record<string, unknown>,
  ): RequestQueueInternals & { throttleCheckTimeoutId: unknown; destroy(): void; checkPendingRequests(): void };
  prototype: RequestQueueInternals & { touchstreamIdlePatch?: true };
};

const prototype = RequestQueue.prototype;
if (!prototype.touchstreamIdlePatch) {
  const scheduleWhenPending = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.pending.length === 0) return;
    scheduleWhenPending.call(this);
  };
  prototype.touchstreamIdlePatch = true;
}
