import { isTouchstreamCall } from '@touchstream/contracts';
import type { SegmentCampaign } from '@touchstream/source-detection';
import type { VisitorRef } from '@touchstream/attribution-model';

/** The fields of a raw Segment event that attribution reads (validated by the raw decoder). */
export interface AttributionEventFields {
  type: string;
  messageId: string;
  anonymousId?: string | null;
  userId?: string | null;
  timestamp: string;
  receivedAt?: string | null;
  context?: { page?: Record<string, unknown> | null; campaign?: Record<string, unknown> | null; library?: unknown } | null;
  properties?: Record<string, unknown> | null;
}

/** A page view as read from an event, before classification. */
export interface PageViewRead {
  visitor: VisitorRef;
  messageId: string;
  at: number;
  url: string | null;
  referrer: string | null;
  campaign: SegmentCampaign | null;
}

const MAX_TEXT = 4096;

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length === 0 ? null : trimmed.slice(0, MAX_TEXT);
}

function campaignOf(value: unknown): SegmentCampaign | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const campaign: SegmentCampaign = {
    name: text(record.name),
    source: text(record.source),
    medium: text(record.medium),
    term: text(record.term),
    content: text(record.content),
  };
  return Object.values(campaign).some((field) => field !== null) ? campaign : null;
}

/**
 * The page view an event stands for: a page call, or a screen or track call
 * that carries a page URL (context.page.url or properties.url). Other events are no page views.
 * The visitor is the anonymousId, else the userId (a userId-only event belongs to the user).
 * touchstream's own Source Identified tracks carry the touch's URL but are no visit: ignored.
 */
export function readPageView(event: AttributionEventFields): PageViewRead | null {
  if (isTouchstreamCall(event)) return null;
  const page = event.context?.page ?? null;
  const properties = event.properties ?? null;
  const url = text(page?.url) ?? text(properties?.url);
  const isPageView = event.type === 'page' || ((event.type === 'screen' || event.type === 'track') && url !== null);
  if (!isPageView) return null;
  const visitor: VisitorRef | null = event.anonymousId
    ? { kind: 'anonymous', id: event.anonymousId }
    : event.userId
      ? { kind: 'user', id: event.userId }
      : null;
  if (visitor === null) return null;
  const at = Date.parse(event.timestamp);
  const fallback = event.receivedAt ? Date.parse(event.receivedAt) : Number.NaN;
  const time = Number.isNaN(at) ? fallback : at;
  if (Number.isNaN(time)) return null;
  return {
    visitor,
    messageId: event.messageId,
    at: time,
    url,
    referrer: text(page?.referrer) ?? text(properties?.referrer),
    campaign: campaignOf(event.context?.campaign),
  };
}
