import type { SegmentReceiver } from '@touchstream/testing';

/**
 * What the local Segment receiver has accepted, by messageId: reads only the requests that arrived
 * since the last look, so asking every second stays cheap at a million events.
 */
export class DeliveryCounter {
  private scanned = 0;
  private events = 0;
  /** messageId -> when its first copy arrived, and how many copies did. */
  private readonly arrivals = new Map<string, { firstAt: number; copies: number }>();

  constructor(private readonly receiver: SegmentReceiver) {}

  private update(): void {
    const requests = this.receiver.requests();
    for (; this.scanned < requests.length; this.scanned += 1) {
      const request = requests[this.scanned];
      if (request?.outcome !== 'accepted') continue;
      for (const event of request.events) {
        this.events += 1;
        const id = String(event.messageId);
        const arrival = this.arrivals.get(id);
        if (arrival) arrival.copies += 1;
        else this.arrivals.set(id, { firstAt: request.receivedAt, copies: 1 });
      }
    }
  }

  /** Distinct messageIds accepted so far. */
  distinct(): number {
    this.update();
    return this.arrivals.size;
  }

  /** Accepted events so far, duplicates included. */
  total(): number {
    this.update();
    return this.events;
  }

  /** How many accepted events carried this messageId (more than one: duplicates, which Segment drops by messageId). */
  copies(messageId: string): number {
    this.update();
    return this.arrivals.get(messageId)?.copies ?? 0;
  }

  /** When (Date.now() at the receiver) the first request carrying this messageId arrived. */
  arrivedAt(messageId: string): number | undefined {
    this.update();
    return this.arrivals.get(messageId)?.firstAt;
  }
}
