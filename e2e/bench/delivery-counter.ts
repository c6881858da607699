import type { SegmentReceiver } from '@touchstream/testing';

/**
 * What the local Segment receiver has accepted, by messageId: reads only the requests that arrived
 * since the last look, so asking every second stays cheap at a million events.
 */
export class DeliveryCounter {
  private scanned = 0;
  private events = 0;
  private readonly firstArrival = new Map<string, number>();

  constructor(private readonly receiver: SegmentReceiver) {}

  private update(): void {
    const requests = this.receiver.requests();
    for (; this.scanned < requests.length; this.scanned += 1) {
      const request = requests[this.scanned];
      if (request?.outcome !== 'accepted') continue;
      for (const event of request.events) {
        this.events += 1;
        const id = String(event.messageId);
        if (!this.firstArrival.has(id)) this.firstArrival.set(id, request.receivedAt);
      }
    }
  }

  /** Distinct messageIds accepted so far. */
  distinct(): number {
    this.update();
    return this.firstArrival.size;
  }

  /** Accepted events so far, duplicates included. */
  total(): number {
    this.update();
    return this.events;
  }

  /** When (Date.now() at the receiver) the first request carrying this messageId arrived. */
  arrivedAt(messageId: string): number | undefined {
    this.update();
    return this.firstArrival.get(messageId);
  }
}
