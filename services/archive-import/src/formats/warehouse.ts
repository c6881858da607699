/**
 * Segment warehouse tables (pages, identifies, tracks) back to Spec events. Warehouses flatten
 * nested fields into snake_case columns joined by "_" (context.page.url -> context_page_url) and
 * lose value types; the mapping below reverses what can be reversed without guessing and keeps
 * everything else under its column name (docs/decisions/0004-archive-import.md has the table).
 */
export const WAREHOUSE_TABLES = ['pages', 'identifies', 'tracks'] as const;
export type WarehouseTable = (typeof WAREHOUSE_TABLES)[number];

const TYPE_OF: Record<WarehouseTable, 'page' | 'identify' | 'track'> = { pages: 'page', identifies: 'identify', tracks: 'track' };

/** Columns Segment adds while loading, which are not part of the event. */
const LOAD_COLUMNS = new Set(['uuid', 'uuid_ts', 'loaded_at', 'event_id']);

const TOP_LEVEL: Record<string, string> = {
  id: 'messageId',
  anonymous_id: 'anonymousId',
  user_id: 'userId',
  timestamp: 'timestamp',
  original_timestamp: 'originalTimestamp',
  sent_at: 'sentAt',
  received_at: 'receivedAt',
};
const TIMESTAMP_FIELDS = new Set(['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt']);

/** The Spec's nested context objects: context_<object>_<field> -> context.<object>.<field>. */
const CONTEXT_OBJECTS = new Set(['app', 'campaign', 'device', 'library', 'location', 'network', 'os', 'page', 'referrer', 'screen']);

/** Page properties the pages table stores as columns. */
const PAGE_PROPERTIES = new Set(['url', 'path', 'referrer', 'search', 'title', 'keywords']);
const PAGE_FIELDS = new Set(['name', 'category']);

/** Spec reserved traits written in snake_case by warehouses; other trait columns keep their name. */
const RESERVED_TRAITS: Record<string, string> = {
  created_at: 'createdAt',
  first_name: 'firstName',
  last_name: 'lastName',
};

export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The table a CSV export holds, from its file name or else from its header. */
export function detectWarehouseTable(fileName: string, columns: readonly string[]): WarehouseTable | undefined {
  const base = fileName.toLowerCase().replace(/^.*[/\\]/, '');
  const named = /(?:^|[^a-z])(pages|identifies|tracks)(?:[^a-z]|$)/.exec(base);
  if (named) return named[1] as WarehouseTable;
  const set = new Set(columns);
  const segmentShaped = set.has('id') || set.has('anonymous_id') || set.has('user_id');
  if (!segmentShaped) return undefined;
  if (set.has('event') || set.has('event_text')) return 'tracks';
  if (['url', 'path', 'title', 'referrer', 'search'].some((column) => set.has(column))) return 'pages';
  return 'identifies';
}

/** Header cells as column names: trimmed and lower-case, as warehouses name them. */
export function normaliseColumns(header: readonly string[]): string[] {
  return header.map((cell, index) => (index === 0 ? cell.replace(/^\uFEFF/, '') : cell).trim().toLowerCase());
}

const WAREHOUSE_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Warehouse clients export timestamps as "2024-03-01 12:34:56.789 UTC", "...+00" or ISO; the
 * Spec wants ISO-8601. Anything unrecognised is passed through for validation to judge.
 */
export function normaliseTimestamp(value: string): string {
  const match = WAREHOUSE_TIME.exec(value.trim());
  if (!match) return value;
  const [, date, time, zone] = match;
  let offset = 'Z';
  if (zone && zone.toUpperCase() !== 'Z' && zone.toUpperCase() !== 'UTC') {
    const digits = zone.replace(':', '');
    offset = digits.length === 3 ? `${digits}:00` : `${digits.slice(0, 3)}:${digits.slice(3)}`;
  }
  return `${date}T${time}${offset}`;
}

function setPath(target: Record<string, unknown>, key: string, child: string, value: string): void {
  const nested = (target[key] ??= {}) as Record<string, unknown>;
  nested[child] = value;
}

/**
 * One CSV row as a Spec event. Empty cells are left out (warehouses write NULL as empty), never
 * sent as "" or null: an unknown value must not blank a known one downstream.
 */
export function rowToEvent(table: WarehouseTable, columns: readonly string[], values: readonly string[]): Record<string, unknown> {
  const event: Record<string, unknown> = { type: TYPE_OF[table] };
  const context: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  const traits: Record<string, unknown> = {};
  let eventName: string | undefined;
  let eventText: string | undefined;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as string;
    const value = values[i];
    if (value === undefined || value === '' || LOAD_COLUMNS.has(column)) continue;
    const top = TOP_LEVEL[column];
    if (top) {
      event[top] = TIMESTAMP_FIELDS.has(top) ? normaliseTimestamp(value) : value;
    } else if (column.startsWith('context_')) {
      const rest = column.slice('context_'.length);
      const split = rest.indexOf('_');
      const object = split > 0 ? rest.slice(0, split) : '';
      if (CONTEXT_OBJECTS.has(object)) setPath(context, object, camelCase(rest.slice(split + 1)), value);
      else context[camelCase(rest)] = value;
    } else if (table === 'tracks' && column === 'event_text') eventText = value;
    else if (table === 'tracks' && column === 'event') eventName = value;
    else if (table === 'pages' && PAGE_FIELDS.has(column)) event[column] = value;
    else if (table === 'pages' && PAGE_PROPERTIES.has(column)) properties[column] = value;
    else if (table === 'identifies') traits[RESERVED_TRAITS[column] ?? column] = value;
    else properties[column] = value;
  }
  // event_text is the name as sent; event is its snake_cased table name.
  if (table === 'tracks' && (eventText ?? eventName)) event.event = eventText ?? eventName;
  if (Object.keys(context).length > 0) event.context = context;
  if (table === 'identifies') event.traits = traits;
  else if (Object.keys(properties).length > 0 || table === 'pages') event.properties = properties;
  return event;
}
