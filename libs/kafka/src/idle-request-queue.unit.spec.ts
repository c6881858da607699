import { describe, expect, it } from 'vitest';
import { RequestQueue } from './idle-request-queue';

const silent = { debug: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined };

function queue() {
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'b:9092',
    logger: silent,
  });
}

describe("kafkajs's request queue, as libs/kafka loads it", () => {
  it('arms no timer when nothing is pending (kafkajs alone loops every 1 ms with a negative delay)', () => {
    const idle = queue();
    try {
      idle.checkPendingRequests();
      expect(idle.throttleCheckTimeoutId).toBeNull();
    } finally {
      idle.destroy();
    }
  });

  it('still schedules a check while a request waits', () => {
    const waiting = queue();
    try {
      waiting.pending.push({ placeholder: true });
      waiting.scheduleCheckPendingRequests();
      expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    } finally {
      waiting.pending.length = 0;
      waiting.destroy();
    }
  });
});
