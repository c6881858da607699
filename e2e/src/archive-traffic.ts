import { Analytics } from '@segment/analytics-node';
import type { SegmentEvent } from '@touchstream/contracts';
import { generateArchive, type PersonTruth } from '@touchstream/synthetic-data';

export interface Traffic {
  /** In time order, as a site would send them. */
  events: SegmentEvent[];
  /** What the pipeline must conclude (synthetic-data's ground truth). */
  people: PersonTruth[];
}

/** A few hundred events of a generated site: visitors over several devices, some who sign up. */
export function archiveTraffic(seed: string, users = 40, days = 14): Traffic {
  const archive = generateArchive({ users, days, seed });
  return { events: [...archive.events({ kind: 'time' })], people: [...archive.people()] };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type Ids = { anonymousId: string; userId?: string };
/** The SDK's context type: the archive's context is the same object, with nulls where the SDK has optional fields. */
type SdkContext = NonNullable<Parameters<Analytics['page']>[0]['context']>;

/** The fields the Segment SDK takes for every call, from an archived event. */
function common(event: SegmentEvent) {
  const ids: Ids = { anonymousId: event.anonymousId as string, ...(event.userId ? { userId: event.userId } : {}) };
  return {
    ...ids,
    messageId: event.messageId as string,
    timestamp: new Date(event.timestamp as string),
    context: (event.context ?? {}) as SdkContext,
  };
}

/**
 * Sends traffic to ingest the two ways a site does: some visitors through the Segment SDK
 * (`@segment/analytics-node`, POST /v1/batch), the others as Segment webhook calls. Each chunk is
 * acknowledged before the next one goes, so every visitor's events reach the raw topic in order.
 */
export class TrafficSender {
  chunksSent = 0;

  constructor(
    private readonly ingestUrl: () => string,
    private readonly writeKey: string,
    private readonly viaSdk: (event: SegmentEvent) => boolean,
  ) {}

  async send(chunk: readonly SegmentEvent[]): Promise<void> {
    await this.sdk(chunk.filter((event) => this.viaSdk(event)));
    for (const event of chunk.filter((candidate) => !this.viaSdk(candidate))) await this.webhook(event);
    this.chunksSent += 1;
  }

  private async sdk(events: readonly SegmentEvent[]): Promise<void> {
    if (events.length === 0) return;
    // One batch per chunk: closeAndFlush() sends what is queued and closes this client for good.
    const analytics = new Analytics({ writeKey: this.writeKey, host: this.ingestUrl(), flushAt: events.length + 1, maxRetries: 3 });
    const errors: unknown[] = [];
    analytics.on('error', (error) => errors.push(error));
    for (const event of events) {
      const fields = common(event);
      if (event.type === 'page') analytics.page({ ...fields, name: event.name ?? undefined, properties: event.properties ?? {} });
      else if (event.type === 'identify') analytics.identify({ ...fields, traits: event.traits ?? {} });
      else if (event.type === 'track') analytics.track({ ...fields, event: event.event, properties: event.properties ?? {} });
      else throw new Error(`the archive has a ${event.type} event the traffic does not send`);
    }
    await analytics.closeAndFlush({ timeout: 30_000 });
    if (errors.length > 0) throw new Error(`the Segment SDK could not deliver to ingest: ${JSON.stringify(errors[0])}`);
  }

  private async webhook(event: SegmentEvent): Promise<void> {
    const response = await fetch(`${this.ingestUrl()}/v1/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Segment.io/1.0' },
      body: JSON.stringify(event),
    });
    if (response.status !== 200) throw new Error(`ingest answered ${response.status} to a webhook call: ${await response.text()}`);
  }
}
