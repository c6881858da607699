import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityLinkId, type RawEvent } from '@touchstream/contracts';
import { postReplay, replayFinished, runReplayCommand, waitFor } from '@touchstream/testing';
import { generateEvents, random, shuffle } from '../testing/generated-history';
import { IdentityTestbed, TEST_ADMIN_TOKEN, TEST_DEBUG_TOKEN, type RunningIdentity } from '../testing/harness';

/** Produces in uneven chunks, so batch boundaries (and with them provisional revisions) differ from run to run. */
async function produceUnevenly(bed: IdentityTestbed, events: readonly RawEvent[]): Promise<void> {
  for (let start = 0, size = 7; start < events.length; start += size, size = ((size * 3) % 97) + 5) {
    await bed.produce(events.slice(start, start + size));
  }
}

/**
 * `POST /admin/replay` on the identity service, on the real broker and Postgres: a replay from
 * earliest rebuilds the graph from the raw topic and ends where the live run ended, link
 * revisions included, publishing nothing; what the live run got wrong is published with the next
 * revision; a replay from a time re-applies only what came after it.
 */
describe('identity replay', () => {
  const bed = new IdentityTestbed('identity-replay');
  const history = generateEvents(500, random(21));
  let app: RunningIdentity;

  const topicEnd = async () => (await bed.runtime.lag(`probe-${bed.namespace.id}`, [bed.linksTopic])).reduce((sum, p) => sum + p.end, 0);
  const outboxIds = async () => (await bed.outbox()).map((row) => row.eventId);

  beforeAll(async () => {
    await bed.start();
    app = await bed.startApp();
    // Shuffled, with some events delivered twice: links are seen late and revised.
    await produceUnevenly(bed, shuffle([...history, ...history.slice(0, 40)], random(22)));
    await bed.settled();
  }, 120_000);

  afterAll(async () => {
    await bed.stop();
  });

  it('from earliest: rebuilds the graph and ends with the same tables, revisions included, and publishes nothing', async () => {
    const live = await bed.tables();
    expect(live.links?.length).toBeGreaterThan(50);
    // The counters a naive rebuild would not reproduce: links revised as earlier sightings came in.
    expect([...(await bed.revisions()).values()].some((revision) => revision > 1)).toBe(true);
    const published = await outboxIds();
    const end = await topicEnd();
    // Rows only a rebuild brings back: the replay re-reads the raw topic for real.
    await bed.sql(`DELETE FROM $schema.timeline WHERE message_id IN ('m-1', 'm-2', 'm-3')`);
    await bed.sql(`DELETE FROM $schema.traits`);

    // One replay at a time: of two requests at once, one is refused.
    const answers = await Promise.all([postReplay(app.url, TEST_ADMIN_TOKEN), postReplay(app.url, TEST_ADMIN_TOKEN)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body.error).toMatch(/already starting|still rebuilding/);
    await replayFinished(app.url, TEST_DEBUG_TOKEN);

    expect(await bed.tables()).toEqual(live);
    expect(await outboxIds()).toEqual(published);
    expect(await topicEnd()).toBe(end);
    expect(await bed.applied()).toBe(bed.produced);
    expect(await bed.sql(`SELECT * FROM $schema.replay_baseline_links`)).toEqual([]);
    expect(await bed.sql(`SELECT * FROM $schema.replay_fences`)).toEqual([]);
    // The rebuilt tables get fresh planner statistics (last_analyze is set by ANALYZE only, never by autovacuum).
    const unanalyzed = () =>
      bed.sql<{ relname: string }>('SELECT relname FROM pg_stat_user_tables WHERE schemaname = $1 AND last_analyze IS NULL', [
        bed.namespace.schema,
      ]);
    await waitFor(async () => (await unanalyzed()).length === 0, { description: 'every table of the schema analyzed after the replay' });
  });

  it('publishes, with the next revision, only a link the live run saw later than the raw topic shows (npm run replay)', async () => {
    const [wrong] = await bed.sql<{ anonymous_id: string; user_id: string; first_seen_at: Date; message_id: string; revision: number }>(
      `SELECT anonymous_id, user_id, first_seen_at, message_id, revision FROM $schema.links ORDER BY anonymous_id, user_id LIMIT 1`,
    );
    if (!wrong) throw new Error('no link to work with');
    // As if the live run had missed the event that showed the link first.
    await bed.sql(
      `UPDATE $schema.links SET first_seen_at = first_seen_at + interval '1 day', message_id = 'missed' WHERE anonymous_id = $1 AND user_id = $2`,
      [wrong.anonymous_id, wrong.user_id],
    );
    const before = await bed.tables();
    const published = await outboxIds();

    const run = await runReplayCommand(['--services', 'identity', '--from', 'earliest'], {
      IDENTITY_PORT: new URL(app.url).port,
      DEBUG_TOKEN: TEST_DEBUG_TOKEN,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/replay: identity from earliest[\s\S]*replay: done in/);

    const outbox = await bed.outbox();
    expect(outbox.map((row) => row.eventId).slice(0, published.length)).toEqual(published);
    const fresh = outbox.slice(published.length);
    expect(fresh.map((row) => row.eventId)).toEqual([identityLinkId(wrong.anonymous_id, wrong.user_id, wrong.revision + 1)]);
    expect(fresh[0]?.payload).toMatchObject({
      source: 'replay',
      data: { firstSeenAt: wrong.first_seen_at.toISOString(), messageId: wrong.message_id, revision: wrong.revision + 1 },
    });
    const after = await bed.tables();
    const key = (row: string) => JSON.parse(row) as { anonymous_id: string; user_id: string };
    const isWrong = (row: string) => key(row).anonymous_id === wrong.anonymous_id && key(row).user_id === wrong.user_id;
    expect(after.links?.filter((row) => !isWrong(row))).toEqual(before.links?.filter((row) => !isWrong(row)));
    expect({ ...after, links: [] }).toEqual({ ...before, links: [] });
  });

  it('from a time: re-applies only what was produced after it, idempotently, publishing nothing', async () => {
    const from = new Date();
    const late = generateEvents(60, random(23), 'late');
    await bed.produce(late);
    await bed.settled();
    const live = await bed.tables();
    const published = await outboxIds();
    // As if a consumer bug had skipped two events, one on each side of the time.
    await bed.sql(`DELETE FROM $schema.timeline WHERE message_id IN ('late-0', 'm-10')`);

    const answer = await postReplay(app.url, TEST_ADMIN_TOKEN, { from: from.toISOString() });
    expect(answer.status).toBe(202);
    expect(answer.body.groups[0]?.rebuilding).toBe(false);
    await replayFinished(app.url, TEST_DEBUG_TOKEN);
    await bed.settled();

    const after = await bed.tables();
    expect(after.timeline).toEqual(live.timeline?.filter((row) => !row.includes('"message_id": "m-10"')));
    expect({ ...after, timeline: [] }).toEqual({ ...live, timeline: [] });
    expect(await outboxIds()).toEqual(published);
  });

  it('starts a replay only with the admin token (not the read-only debug token), and answers 400 for a bad "from"', async () => {
    const unauthorised = await postReplay(app.url, null);
    expect(unauthorised.status).toBe(401);
    expect((await postReplay(app.url, TEST_DEBUG_TOKEN)).status).toBe(401);
    const status = await fetch(`${app.url}/admin/replay/status`);
    expect(status.status).toBe(401);
    const bad = await postReplay(app.url, TEST_ADMIN_TOKEN, { from: 'yesterday' });
    expect(bad).toMatchObject({ status: 400, body: { error: 'from must be "earliest" or an ISO-8601 timestamp with offset' } });
  });
});
