import type { SegmentEvent } from '@touchstream/contracts';

/**
 * Segment events as a warehouse stores them (one table per call, snake_case columns, nested
 * fields flattened with "_", timestamps in the warehouse's text form), so the CSV import path
 * has realistic exports to read. Only the columns the generator's events use.
 */
export type WarehouseTableName = 'pages' | 'identifies' | 'tracks';

const COMMON_HEAD = ['id', 'anonymous_id', 'user_id'];
const CONTEXT = [
  'context_page_url',
  'context_page_path',
  'context_page_referrer',
  'context_page_search',
  'context_page_title',
  'context_campaign_source',
  'context_campaign_medium',
  'context_campaign_name',
  'context_campaign_term',
  'context_campaign_content',
  'context_ip',
  'context_user_agent',
  'context_locale',
  'context_library_name',
  'context_library_version',
];
const TIMES = ['timestamp', 'original_timestamp', 'sent_at', 'received_at', 'uuid_ts'];

export const WAREHOUSE_COLUMNS: Record<WarehouseTableName, readonly string[]> = {
  pages: [...COMMON_HEAD, 'name', 'url', 'path', 'referrer', 'search', 'title', ...CONTEXT, ...TIMES],
  identifies: [...COMMON_HEAD, 'email', 'first_name', 'last_name', 'name', 'company_name', 'plan', 'created_at', ...CONTEXT, ...TIMES],
  tracks: [...COMMON_HEAD, 'event', 'event_text', ...CONTEXT, ...TIMES],
};

const TABLE_OF: Partial<Record<SegmentEvent['type'], WarehouseTableName>> = { page: 'pages', identify: 'identifies', track: 'tracks' };

/** "2024-01-31T12:00:00.123Z" -> "2024-01-31 12:00:00.123+00", as Postgres and Redshift export it. */
export function warehouseTimestamp(iso: string | undefined): string {
  if (!iso) return '';
  return new Date(Date.parse(iso)).toISOString().replace('T', ' ').replace('Z', '+00');
}

/** Segment's warehouse table name for a track event: "Signed Up" -> "signed_up". */
export function snakeEventName(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .toLowerCase();
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The row for one event, or undefined for call types the warehouse export does not cover here. */
export function toWarehouseRow(event: SegmentEvent): { table: WarehouseTableName; values: string[] } | undefined {
  const table = TABLE_OF[event.type];
  if (!table) return undefined;
  const context = (event.context ?? {}) as Record<string, unknown>;
  const page = (context.page ?? {}) as Record<string, unknown>;
  const campaign = (context.campaign ?? {}) as Record<string, unknown>;
  const library = (context.library ?? {}) as Record<string, unknown>;
  const properties = ('properties' in event ? (event.properties ?? {}) : {}) as Record<string, unknown>;
  const traits = ('traits' in event ? (event.traits ?? {}) : {}) as Record<string, unknown>;
  const cells: Record<string, unknown> = {
    id: event.messageId,
    anonymous_id: event.anonymousId,
    user_id: event.userId,
    name: event.type === 'page' ? event.name : traits.name,
    url: properties.url,
    path: properties.path,
    referrer: properties.referrer,
    search: properties.search,
    title: properties.title,
    email: traits.email,
    first_name: traits.firstName,
    last_name: traits.lastName,
    company_name: (traits.company as { name?: unknown } | undefined)?.name,
    plan: traits.plan,
    created_at: traits.createdAt,
    event: event.type === 'track' ? snakeEventName(event.event) : undefined,
    event_text: event.type === 'track' ? event.event : undefined,
    context_page_url: page.url,
    context_page_path: page.path,
    context_page_referrer: page.referrer,
    context_page_search: page.search,
    context_page_title: page.title,
    context_campaign_source: campaign.source,
    context_campaign_medium: campaign.medium,
    context_campaign_name: campaign.name,
    context_campaign_term: campaign.term,
    context_campaign_content: campaign.content,
    context_ip: context.ip,
    context_user_agent: context.userAgent,
    context_locale: context.locale,
    context_library_name: library.name,
    context_library_version: library.version,
    timestamp: warehouseTimestamp(event.timestamp),
    original_timestamp: warehouseTimestamp(event.originalTimestamp),
    sent_at: warehouseTimestamp(event.sentAt),
    received_at: warehouseTimestamp(event.receivedAt),
    uuid_ts: warehouseTimestamp(event.receivedAt),
  };
  return { table, values: WAREHOUSE_COLUMNS[table].map((column) => text(cells[column])) };
}

/** RFC 4180: quote fields holding a comma, quote or line break; double the quotes. */
export function csvLine(values: readonly string[]): string {
  return values.map((value) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)).join(',');
}
