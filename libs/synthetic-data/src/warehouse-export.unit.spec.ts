import { describe, expect, it } from 'vitest';
import type { SegmentEvent } from '@touchstream/contracts';
import { generateArchive } from './generate';
import { csvLine, snakeEventName, toWarehouseRow, WAREHOUSE_COLUMNS, warehouseTimestamp } from './warehouse-export';

describe('warehouse export', () => {
  it('writes one row per page, identify and track, in its table, with the table header order', () => {
    const events = [...generateArchive({ users: 40, days: 7, seed: 'wh' }).events()];
    const tables = new Set<string>();
    for (const event of events) {
      const row = toWarehouseRow(event);
      if (!row) throw new Error(`no row for ${event.type}`);
      tables.add(row.table);
      const cells = Object.fromEntries(WAREHOUSE_COLUMNS[row.table].map((column, i) => [column, row.values[i]]));
      expect(cells.id).toBe(event.messageId);
      expect(cells.anonymous_id).toBe(event.anonymousId);
      expect(Date.parse(String(cells.timestamp).replace(' ', 'T').replace('+00', 'Z'))).toBe(Date.parse(event.timestamp as string));
      if (event.type === 'page') expect(cells.context_page_referrer).toBe(event.context?.page?.referrer ?? '');
    }
    expect([...tables].sort()).toEqual(['identifies', 'pages', 'tracks']);
    const alias: SegmentEvent = { type: 'alias', previousId: 'a', userId: 'b' };
    expect(toWarehouseRow(alias)).toBeUndefined();
  });

  it('quotes CSV fields only when needed and names tables like Segment', () => {
    expect(csvLine(['plain', 'with,comma', 'with "quote"', 'two\nlines', ''])).toBe('plain,"with,comma","with ""quote""","two\nlines",');
    expect(snakeEventName('Signed Up')).toBe('signed_up');
    expect(snakeEventName('orderCompleted')).toBe('order_completed');
    expect(warehouseTimestamp('2024-01-31T12:00:00.123Z')).toBe('2024-01-31 12:00:00.123+00');
    expect(warehouseTimestamp(undefined)).toBe('');
  });
});
