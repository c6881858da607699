/** Size and count limits, Segment's by default, configurable per deployment. */
export interface IngestLimits {
  maxEventBytes: number;
  maxRequestBytes: number;
  maxBatchEvents: number;
}

/** Where a request came in: Segment's webhook destination, or one of the Tracking API routes. */
export type TrackingRoute = 'batch' | 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';
export type IngestChannel = { kind: 'webhook' } | { kind: 'api'; route: TrackingRoute };

export function channelPath(channel: IngestChannel): string {
  return channel.kind === 'webhook' ? '/v1/webhook' : `/v1/${channel.route}`;
}
