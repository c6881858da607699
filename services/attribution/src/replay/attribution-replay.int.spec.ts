import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toRawEvent, type RawEvent } from '@touchstream/contracts';
import { generateArchive, SITE } from '@touchstream/synthetic-data';
import { postReplay, replayFinished, runReplayCommand } from '@touchstream/testing';
import {
  AttributionTestbed,
  comparableTouches,
  comparableUserSources,
  linksFor,
  TEST_ADMIN_TOKEN,
  TEST_DEBUG_TOKEN,
  type OutboxFact,
  type RunningAttribution,
} from '../testing/harness';

const archive = generateArchive({ users: 100, days: 30, seed: 'attribution-replay' });
const ordered: RawEvent[] = [...archive.events({ kind: 'time' })].map((event) =>
  toRawEvent(event, { source: 'import', receivedAt: new Date(event.timestamp as string) }),
);
// Fully shuffled, links (and their revisions) before the visits: versions and revisions counted in this order.
const shuffled = [...archive.events({ kind: 'shuffled', window: ordered.length })].map((event) =>
  toRawEvent(event, { source: 'import', receivedAt: new Date(event.timestamp as string) }),
);
const siteEnv = {
  SITE_DOMAINS: SITE.domains.join(','),
  UNWANTED_REFERRALS: SITE.unwantedReferrals.join(','),
  ATTRIBUTION_CONSUMER_CONCURRENCY: '4',
};
/**
 * A rules change: visits from Bing count as internal navigation (their touches are withdrawn), and
 * a known source outranks a later Direct visit for one day only (last touches move, touches do not).
 */
const newRules = { ...siteEnv, SITE_DOMAINS: [...SITE.domains, 'bing.com'].join(','), ATTRIBUTION_LOOKBACK_DAYS: '1' };

interface SubjectRow {
  subject_type: string;
  subject_id: string;
  version: number;
  fingerprint: string;
}
interface TouchRow {
  touch_id: string;
  revision: number;
  row: string;
}

/**
 * `POST /admin/replay` on the attribution service, on the real broker and Postgres: from earliest
 * it rebuilds the state from the raw and links topics. With the same rules it ends where the live
 * run ended (versions and revisions included) and publishes nothing; after a rules change it
 * publishes exactly the subjects and touches whose facts changed, each with its next version or
 * revision, and ends with the facts a fresh run under the new rules publishes.
 */
describe('attribution replay', () => {
  const bed = new AttributionTestbed('attribution-replay');
  /** A fresh run of the same history under the new rules: what the replay must end with. */
  const fresh = new AttributionTestbed('attribution-replay-fresh');
  let app: RunningAttribution;

  const subjects = async () =>
    new Map(
      (await bed.rows<SubjectRow>(`SELECT subject_type, subject_id, version, fingerprint FROM $schema.subjects`)).map((row) => [
        `${row.subject_type}:${row.subject_id}`,
        row,
      ]),
    );
  const touches = async () =>
    new Map(
      (await bed.rows<TouchRow>(`SELECT touch_id::text, revision, to_jsonb(t)::text AS row FROM $schema.touches AS t`)).map((row) => [
        row.touch_id,
        row,
      ]),
    );
  const topicEnds = async () =>
    (await bed.runtime.lag(`probe-${bed.namespace.id}`, [bed.topics.touches, bed.topics.userSources])).map((p) => p.end);

  beforeAll(async () => {
    await Promise.all([bed.start(), fresh.start()]);
    [app] = await Promise.all([bed.startApp(siteEnv), fresh.startApp(newRules)]);
    for (const testbed of [bed, fresh]) {
      await testbed.produceLinks(linksFor(shuffled));
      await testbed.produceRaw(shuffled);
    }
    await Promise.all([bed.settled(), fresh.settled()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([bed.close(), fresh.close()]);
  });

  it('from earliest, same rules: rebuilds the state and ends with the same tables, versions included, publishing nothing', async () => {
    const live = await bed.tables();
    expect(live.subjects?.length).toBeGreaterThan(100);
    // The counters a naive rebuild would count again, in another order: versions and revisions past 1.
    expect([...(await subjects()).values()].some((subject) => subject.version > 1)).toBe(true);
    expect([...(await touches()).values()].some((touch) => touch.revision > 1)).toBe(true);
    const published = (await bed.outbox()).map((fact) => fact.eventId);
    const ends = await topicEnds();
    // Rows only a rebuild brings back: the replay re-reads the topics for real.
    await bed.rows(`DELETE FROM $schema.page_views WHERE message_id IN (SELECT message_id FROM $schema.page_views ORDER BY 1 LIMIT 5)`);

    const answer = await postReplay(app.url, TEST_ADMIN_TOKEN);
    expect(answer.status).toBe(202);
    expect(answer.body.groups).toMatchObject([{ groupId: bed.group, rebuilding: true }]);
    await replayFinished(app.url, TEST_DEBUG_TOKEN, 120_000);

    expect(await bed.tables()).toEqual(live);
    expect((await bed.outbox()).map((fact) => fact.eventId)).toEqual(published);
    expect(await topicEnds()).toEqual(ends);
    expect(await bed.rows(`SELECT * FROM $schema.replay_baseline_subjects`)).toEqual([]);
    expect(await bed.rows(`SELECT * FROM $schema.replay_baseline_touches`)).toEqual([]);
  }, 180_000);

  it('after a rules change: publishes only the changed subjects and touches, with the next version, ending as a fresh run does', async () => {
    const subjectsBefore = await subjects();
    const touchesBefore = await touches();
    const publishedBefore = (await bed.outbox()).length;
    await app.close();
    app = await bed.startApp(newRules);

    const run = await runReplayCommand(['--services', 'attribution'], {
      ATTRIBUTION_PORT: new URL(app.url).port,
      DEBUG_TOKEN: TEST_DEBUG_TOKEN,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await bed.settled();

    const facts: OutboxFact[] = (await bed.outbox()).slice(publishedBefore);
    const subjectFacts = facts.flatMap((fact) => (fact.userSources ? [fact.userSources] : []));
    const touchFacts = facts.flatMap((fact) => (fact.touch ? [fact.touch] : []));
    const subjectsAfter = await subjects();
    const touchesAfter = await touches();

    // Some subjects changed, not all; each changed one once, with the next version, and only those.
    const changed = [...subjectsAfter.keys()].filter((key) => subjectsBefore.get(key)?.fingerprint !== subjectsAfter.get(key)?.fingerprint);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(subjectsAfter.size);
    expect(subjectFacts.map((fact) => `${fact.subjectType}:${fact.subjectId}`).sort()).toEqual(changed.sort());
    for (const fact of subjectFacts) {
      const key = `${fact.subjectType}:${fact.subjectId}`;
      expect(fact.version).toBe((subjectsBefore.get(key)?.version ?? 0) + 1);
      expect(subjectsAfter.get(key)?.version).toBe(fact.version);
    }
    for (const [key, before] of subjectsBefore) if (!changed.includes(key)) expect(subjectsAfter.get(key)).toEqual(before);

    // The same for touches: a published touch has its next revision; the others are the rows they were.
    expect(touchFacts.filter((touch) => touch.status === 'withdrawn').length).toBeGreaterThan(0);
    expect(touchFacts.length).toBeLessThan(touchesAfter.size);
    expect(new Set(touchFacts.map((touch) => touch.touchId)).size).toBe(touchFacts.length);
    for (const touch of touchFacts) {
      expect(touch.revision).toBe((touchesBefore.get(touch.touchId)?.revision ?? 0) + 1);
      expect(touchesAfter.get(touch.touchId)?.revision).toBe(touch.revision);
    }
    const republished = new Set(touchFacts.map((touch) => touch.touchId));
    for (const [id, before] of touchesBefore) if (!republished.has(id)) expect(touchesAfter.get(id)).toEqual(before);
    expect(facts.every((fact) => fact.userSources === undefined || fact.userSources.lastTouchModel === 'last-non-direct')).toBe(true);

    // What Segment ends up with is what a fresh run under the new rules says.
    expect(comparableUserSources(await bed.latestUserSources())).toEqual(comparableUserSources(await fresh.latestUserSources()));
    expect(comparableTouches(await bed.latestTouches())).toEqual(comparableTouches(await fresh.latestTouches()));
  }, 180_000);

  it('guards starting a replay with the admin token; the read-only debug token is not enough', async () => {
    expect((await postReplay(app.url, null)).status).toBe(401);
    expect((await postReplay(app.url, 'wrong-token')).status).toBe(401);
    expect((await postReplay(app.url, TEST_DEBUG_TOKEN)).status).toBe(401);
  });
});
