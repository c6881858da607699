import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@touchstream/testing';
import { AttributionTestbed, pageEvent, SHOP, type RunningAttribution } from '../testing/harness';

interface ReadyBody {
  status: string;
  checks: Record<string, boolean>;
  details?: {
    'consumer-progress'?: { stuck: Array<{ groupId: string; topic: string; partition: number; offset: string; failures: number }> };
  };
}

async function ready(app: RunningAttribution): Promise<{ status: number; body: ReadyBody }> {
  const response = await fetch(`${app.url}/ready`);
  return { status: response.status, body: (await response.json()) as ReadyBody };
}

async function stuckGauge(app: RunningAttribution, group: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`touchstream_consumer_stuck_partitions{group="${group}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('attribution readiness while one partition cannot make progress', () => {
  const bed = new AttributionTestbed('attribution-stuck');
  let app: RunningAttribution;

  beforeAll(async () => {
    await bed.start();
    app = await bed.startApp({ KAFKA_CONSUMER_STUCK_AFTER_MS: '2000' });
  });

  afterAll(async () => {
    await bed.close();
  });

  it('answers 503 naming the group, topic and partition that keeps failing transiently, and ready again once it moves', async () => {
    await bed.produceRaw([pageEvent({ anonymousId: 'held-visitor', at: '2026-03-02T10:00:00.000Z', url: `${SHOP}/first` })]);
    const [held] = await waitFor(
      async () => {
        const rows = await bed.rows<{ partition: number }>(
          `SELECT partition FROM $schema.consumer_positions WHERE topic = $1 AND next_offset > 0`,
          [bed.topics.raw],
        );
        return rows.length === 1 && rows.map((row) => row.partition);
      },
      { description: 'the first page view applied' },
    );
    expect((await ready(app)).status).toBe(200);

    // Every transaction that would move the held partition's position now fails as a serialization
    // failure would (SQLSTATE 40001: transient, retried, never dead-lettered).
    await bed.rows(`CREATE FUNCTION $schema.hold_partition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.topic = '${bed.topics.raw}' AND NEW.partition = ${held} THEN
          RAISE EXCEPTION 'held by the test' USING ERRCODE = '40001';
        END IF;
        RETURN NEW;
      END $$`);
    await bed.rows(
      `CREATE TRIGGER hold_partition BEFORE UPDATE ON $schema.consumer_positions FOR EACH ROW EXECUTE FUNCTION $schema.hold_partition()`,
    );
    const others = Array.from({ length: 24 }, (_, n) =>
      pageEvent({ anonymousId: `free-visitor-${n}`, at: '2026-03-02T11:00:00.000Z', url: `${SHOP}/p${n}` }),
    );
    await bed.produceRaw([
      pageEvent({ anonymousId: 'held-visitor', at: '2026-03-02T12:00:00.000Z', url: `${SHOP}/second`, messageId: 'held-second' }),
      ...others,
    ]);

    const stuck = await waitFor(
      async () => {
        const answer = await ready(app);
        return answer.status === 503 && answer.body;
      },
      { description: '/ready to answer 503' },
    );
    expect(stuck.checks['consumer-progress']).toBe(false);
    expect(stuck.details?.['consumer-progress']?.stuck).toEqual([
      expect.objectContaining({ groupId: bed.group, topic: bed.topics.raw, partition: held, offset: '1' }),
    ]);
    expect(await stuckGauge(app, bed.group)).toBe(1);
    // The other partitions went on meanwhile; the held one still has its lag.
    const lag = await waitFor(
      async () => {
        const partitions = await bed.runtime.lag(bed.group, [bed.topics.raw]);
        const others = partitions.filter(({ partition }) => partition !== held);
        return others.every((partition) => partition.lag === 0) && partitions;
      },
      { description: 'the other partitions to apply their page views' },
    );
    expect(lag.filter(({ partition, end }) => partition !== held && end > 0).length).toBeGreaterThan(0);
    expect(lag.find(({ partition }) => partition === held)?.lag).toBeGreaterThan(0);

    await bed.rows(`DROP TRIGGER hold_partition ON $schema.consumer_positions`);
    await waitFor(async () => (await ready(app)).status === 200, { description: '/ready to answer 200 again' });
    await waitFor(async () => (await bed.rows(`SELECT 1 FROM $schema.page_views WHERE message_id = 'held-second'`)).length === 1, {
      description: 'the held page view applied',
    });
    expect(await stuckGauge(app, bed.group)).toBe(0);
    expect(await bed.deadLetters()).toBe(0);
  });
});
