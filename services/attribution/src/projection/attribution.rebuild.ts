import type { EntityManager } from 'typeorm';
import type { Channel, SubjectType, TouchSource } from '@touchstream/contracts';
import { compareStrings, unattributedFingerprint, visitorOfKey, type SubjectFact, type TouchDetails, type TouchState } from '../domain';
import { quoteIdent, returningRows } from '@touchstream/database';
import type { LastTouchModel } from '@touchstream/contracts';
import { touchRow, userSourcesRow, type FactContext } from './facts';
import type { Cause } from './messages';
import { appendToOutbox, type OutboxRow, type RebuiltProjection, type ReplayCause } from '@touchstream/eventing';

/** Facts built and written per round trip while settling. */
const PAGE = 1_000;

const TOUCH_CONTENT = ['visitor', 'message_id', 'session_id', 'occurred_at', 'channel', 'user_id', 'status', 'url', 'referrer', 'source'];
const TOUCH_COLUMNS = ['touch_id', ...TOUCH_CONTENT.slice(0, 7), 'revision', ...TOUCH_CONTENT.slice(7)];
const SUBJECT_COLUMNS = ['subject_type', 'subject_id', 'version', 'fingerprint', 'first_touch_id', 'last_touch_id', 'touch_count'];

interface TouchRow {
  touch_id: string;
  visitor: string;
  message_id: string;
  session_id: string;
  occurred_at: Date;
  channel: Channel;
  user_id: string | null;
  status: 'recorded' | 'withdrawn';
  revision: number;
  url: string | null;
  referrer: string | null;
  source: TouchSource;
}

interface SubjectKey {
  subject_type: SubjectType;
  subject_id: string;
}

/**
 * The attribution state under a replay from earliest (docs/decisions/0009-replay.md). Its
 * publication ledger is `touches` (each touch's last published revision and what it said) and
 * `subjects` (each subject's last published version and its fingerprint); page views and links
 * publish nothing and are rebuilt as they are. Settling applies the live rules to the baseline:
 * - a touch that says what was published keeps the published row (and revision); one that says
 *   something else is published with the next revision; a new recorded touch with revision 1; a
 *   published recorded touch the rebuild no longer finds is withdrawn (next revision); touches
 *   never published and withdrawn are dropped;
 * - a subject whose fingerprint is the published one keeps the published row; one whose
 *   fingerprint changed is published with the next version; a new one with version 1 when it
 *   names a touch (an unattributed subject never published stays unpublished); a published one
 *   the rebuild no longer has gets the fingerprint it has now (unattributed, or linked to its
 *   users) and is published with the next version when that differs.
 */
export class AttributionRebuiltProjection implements RebuiltProjection {
  private readonly s: string;

  constructor(
    private readonly schema: string,
    private readonly topics: { touches: string; userSources: string },
    private readonly lastTouchModel: LastTouchModel,
  ) {
    this.s = quoteIdent(schema);
  }

  async keepBaselineAndClear(transaction: EntityManager): Promise<void> {
    const s = this.s;
    await transaction.query(`TRUNCATE ${s}.replay_baseline_touches, ${s}.replay_baseline_subjects`);
    await transaction.query(
      `INSERT INTO ${s}.replay_baseline_touches (${TOUCH_COLUMNS.join(', ')}) SELECT ${TOUCH_COLUMNS.join(', ')} FROM ${s}.touches`,
    );
    await transaction.query(
      `INSERT INTO ${s}.replay_baseline_subjects (${SUBJECT_COLUMNS.join(', ')}) SELECT ${SUBJECT_COLUMNS.join(', ')} FROM ${s}.subjects`,
    );
    await transaction.query(`TRUNCATE ${s}.page_views, ${s}.touches, ${s}.links, ${s}.subjects`);
  }

  async settle(transaction: EntityManager, replay: ReplayCause): Promise<number> {
    const touchIds = await this.settleTouches(transaction);
    const subjects = await this.settleSubjects(transaction);
    await transaction.query(`TRUNCATE ${this.s}.replay_baseline_touches, ${this.s}.replay_baseline_subjects`);

    const cause: Cause = { id: replay.replayId, correlationId: replay.replayId, source: 'replay', occurredAt: replay.at.toISOString() };
    const context: FactContext = {
      touchesTopic: this.topics.touches,
      userSourcesTopic: this.topics.userSources,
      lastTouchModel: this.lastTouchModel,
      recordedAt: replay.at.toISOString(),
    };
    touchIds.sort(compareStrings);
    for (let start = 0; start < touchIds.length; start += PAGE) {
      const touches = await this.touches(transaction, touchIds.slice(start, start + PAGE));
      const rows = [...touches.values()].map(({ touch, details }) => touchRow(touch, details, cause, context));
      await appendToOutbox(transaction, this.schema, rows);
    }
    subjects.sort((a, b) => compareStrings(a.subject_type, b.subject_type) || compareStrings(a.subject_id, b.subject_id));
    for (let start = 0; start < subjects.length; start += PAGE) {
      const rows = await this.subjectRows(transaction, subjects.slice(start, start + PAGE), cause, context);
      await appendToOutbox(transaction, this.schema, rows);
    }
    return touchIds.length + subjects.length;
  }

  /** Settles `touches` against the baseline; returns the touches to publish. */
  private async settleTouches(transaction: EntityManager): Promise<string[]> {
    const s = this.s;
    const rebuilt = (column: string) => `t.${column}`;
    const published = (column: string) => `b.${column}`;
    const sameTouch = `((t.status = 'withdrawn' AND b.status = 'withdrawn')
      OR (${TOUCH_CONTENT.map(rebuilt).join(', ')}) IS NOT DISTINCT FROM (${TOUCH_CONTENT.map(published).join(', ')}))`;
    const inBaseline = `EXISTS (SELECT 1 FROM ${s}.replay_baseline_touches AS b WHERE b.touch_id = t.touch_id)`;
    const rebuiltToo = `EXISTS (SELECT 1 FROM ${s}.touches AS t WHERE t.touch_id = b.touch_id)`;
    const changed = await returningRows<{ touch_id: string }>(
      transaction,
      `UPDATE ${s}.touches AS t SET revision = b.revision + 1 FROM ${s}.replay_baseline_touches AS b
       WHERE t.touch_id = b.touch_id AND NOT ${sameTouch} RETURNING t.touch_id::text`,
    );
    const added = await returningRows<{ touch_id: string }>(
      transaction,
      `UPDATE ${s}.touches AS t SET revision = 1 WHERE t.status = 'recorded' AND NOT ${inBaseline} RETURNING t.touch_id::text`,
    );
    await transaction.query(`DELETE FROM ${s}.touches AS t WHERE t.status = 'withdrawn' AND NOT ${inBaseline}`);
    const withdrawn = await returningRows<{ touch_id: string }>(
      transaction,
      `INSERT INTO ${s}.touches (${TOUCH_COLUMNS.join(', ')})
       SELECT ${TOUCH_COLUMNS.map((column) => (column === 'status' ? `'withdrawn'` : column === 'revision' ? 'b.revision + 1' : `b.${column}`)).join(', ')}
       FROM ${s}.replay_baseline_touches AS b WHERE b.status = 'recorded' AND NOT ${rebuiltToo}
       RETURNING touch_id::text`,
    );
    const restored = TOUCH_COLUMNS.filter((column) => column !== 'touch_id');
    await transaction.query(
      `UPDATE ${s}.touches AS t SET (${restored.join(', ')}) = (${restored.map(published).join(', ')})
       FROM ${s}.replay_baseline_touches AS b WHERE t.touch_id = b.touch_id AND ${sameTouch}`,
    );
    await transaction.query(
      `INSERT INTO ${s}.touches (${TOUCH_COLUMNS.join(', ')}) SELECT ${TOUCH_COLUMNS.map(published).join(', ')}
       FROM ${s}.replay_baseline_touches AS b WHERE NOT ${rebuiltToo}`,
    );
    return [...changed, ...added, ...withdrawn].map((row) => row.touch_id);
  }

  /** Settles `subjects` against the baseline; returns the subjects to publish. */
  private async settleSubjects(transaction: EntityManager): Promise<SubjectKey[]> {
    const s = this.s;
    const same = 'r.subject_type = b.subject_type AND r.subject_id = b.subject_id';
    const inBaseline = `EXISTS (SELECT 1 FROM ${s}.replay_baseline_subjects AS b WHERE ${same})`;
    const changed = await returningRows<SubjectKey>(
      transaction,
      `UPDATE ${s}.subjects AS r SET version = b.version + 1 FROM ${s}.replay_baseline_subjects AS b
       WHERE ${same} AND r.fingerprint <> b.fingerprint RETURNING r.subject_type, r.subject_id`,
    );
    const kept = SUBJECT_COLUMNS.slice(2);
    await transaction.query(
      `UPDATE ${s}.subjects AS r SET (${kept.join(', ')}) = (${kept.map((column) => `b.${column}`).join(', ')})
       FROM ${s}.replay_baseline_subjects AS b WHERE ${same} AND r.fingerprint = b.fingerprint`,
    );
    await transaction.query(`DELETE FROM ${s}.subjects AS r WHERE r.first_touch_id IS NULL AND NOT ${inBaseline}`);
    const added = await returningRows<SubjectKey>(
      transaction,
      `UPDATE ${s}.subjects AS r SET version = 1 WHERE NOT ${inBaseline} RETURNING r.subject_type, r.subject_id`,
    );
    return [...changed, ...added, ...(await this.settleVanishedSubjects(transaction))];
  }

  /**
   * Published subjects the rebuild has no row for: they name no touch now (a subject that does
   * would have a row), so they say "linked to its users" (an anonymousId with links) or nothing.
   */
  private async settleVanishedSubjects(transaction: EntityManager): Promise<SubjectKey[]> {
    const s = this.s;
    const vanished: Array<SubjectKey & { version: number; fingerprint: string; user_ids: string[] }> = await transaction.query(
      `SELECT b.subject_type, b.subject_id, b.version, b.fingerprint,
         (SELECT coalesce(json_agg(l.user_id), '[]') FROM ${s}.links AS l
            WHERE b.subject_type = 'anonymous' AND l.anonymous_id = b.subject_id) AS user_ids
       FROM ${s}.replay_baseline_subjects AS b
       WHERE NOT EXISTS (SELECT 1 FROM ${s}.subjects AS r WHERE r.subject_type = b.subject_type AND r.subject_id = b.subject_id)`,
    );
    const rows = vanished.map((subject) => {
      const fingerprint = unattributedFingerprint([...subject.user_ids].sort(compareStrings));
      const changed = fingerprint !== subject.fingerprint;
      return { subject, changed, fingerprint };
    });
    await transaction.query(
      `INSERT INTO ${s}.subjects (${SUBJECT_COLUMNS.join(', ')})
       SELECT r.subject_type, r.subject_id, r.version, r.fingerprint, b.first_touch_id, b.last_touch_id, coalesce(b.touch_count, 0)
       FROM jsonb_to_recordset($1::jsonb) AS r(subject_type text, subject_id text, version int, fingerprint text, changed boolean)
       LEFT JOIN ${s}.replay_baseline_subjects AS b
         ON NOT r.changed AND b.subject_type = r.subject_type AND b.subject_id = r.subject_id`,
      [
        JSON.stringify(
          rows.map(({ subject, changed, fingerprint }) => ({
            subject_type: subject.subject_type,
            subject_id: subject.subject_id,
            version: changed ? subject.version + 1 : subject.version,
            fingerprint,
            changed,
          })),
        ),
      ],
    );
    return rows.filter((row) => row.changed).map(({ subject }) => ({ subject_type: subject.subject_type, subject_id: subject.subject_id }));
  }

  private async touches(
    transaction: EntityManager,
    touchIds: readonly string[],
  ): Promise<Map<string, { touch: TouchState; details: TouchDetails }>> {
    if (touchIds.length === 0) return new Map();
    const rows: TouchRow[] = await transaction.query(
      `SELECT touch_id::text AS touch_id, visitor, message_id, session_id::text AS session_id, occurred_at, channel, user_id, status,
         revision, url, referrer, source
       FROM ${this.s}.touches WHERE touch_id = ANY($1::uuid[])`,
      [touchIds],
    );
    const touches = new Map<string, { touch: TouchState; details: TouchDetails }>();
    for (const row of rows) {
      touches.set(row.touch_id, {
        touch: {
          touchId: row.touch_id,
          messageId: row.message_id,
          visitor: visitorOfKey(row.visitor),
          at: row.occurred_at.getTime(),
          channel: row.channel,
          sessionId: row.session_id,
          userId: row.user_id,
          status: row.status,
          revision: row.revision,
        },
        details: { url: row.url, referrer: row.referrer, source: row.source },
      });
    }
    return new Map(
      touchIds.filter((id) => touches.has(id)).map((id) => [id, touches.get(id) as { touch: TouchState; details: TouchDetails }]),
    );
  }

  private async subjectRows(
    transaction: EntityManager,
    keys: readonly SubjectKey[],
    cause: Cause,
    context: FactContext,
  ): Promise<OutboxRow[]> {
    const s = this.s;
    const rows: Array<
      SubjectKey & { version: number; first_touch_id: string | null; last_touch_id: string | null; touch_count: number; user_ids: string[] }
    > = await transaction.query(
      `SELECT r.subject_type, r.subject_id, r.version, r.first_touch_id::text AS first_touch_id, r.last_touch_id::text AS last_touch_id,
         r.touch_count,
         (SELECT coalesce(json_agg(l.user_id), '[]') FROM ${s}.links AS l
            WHERE r.subject_type = 'anonymous' AND l.anonymous_id = r.subject_id) AS user_ids
       FROM ${s}.subjects AS r JOIN unnest($1::text[], $2::text[]) AS k(t, i) ON r.subject_type = k.t AND r.subject_id = k.i
       ORDER BY r.subject_type, r.subject_id COLLATE "C"`,
      [keys.map((key) => key.subject_type), keys.map((key) => key.subject_id)],
    );
    const touchIds = rows.flatMap((row) => [row.first_touch_id, row.last_touch_id].filter((id): id is string => id !== null));
    const touches = await this.touches(transaction, [...new Set(touchIds)]);
    const touchOf = (id: string | null) => {
      if (id === null) return null;
      const found = touches.get(id);
      if (!found) throw new Error('a subject names a touch that is not stored');
      return found.touch;
    };
    const detailsOf = (touch: TouchState) => (touches.get(touch.touchId) as { details: TouchDetails }).details;
    return rows.map((row) => {
      const fact: SubjectFact = {
        type: row.subject_type,
        id: row.subject_id,
        version: row.version,
        first: touchOf(row.first_touch_id),
        last: touchOf(row.last_touch_id),
        touchCount: row.touch_count,
        userIds: row.subject_type === 'user' ? [row.subject_id] : [...row.user_ids].sort(compareStrings),
      };
      return userSourcesRow(fact, detailsOf, cause, context);
    });
  }
}
