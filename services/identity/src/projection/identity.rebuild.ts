import type { EntityManager } from 'typeorm';
import { quoteIdent, returningRows } from '@touchstream/database';
import { linkEvent, type LinkSighting } from '../domain';
import type { LinkVia } from '@touchstream/contracts';
import { appendToOutbox, type OutboxRow, type RebuiltProjection, type ReplayCause } from '@touchstream/eventing';
import { envelopeMessage } from '@touchstream/contracts';

const OUTBOX_CHUNK = 5_000;

interface LinkRow {
  anonymous_id: string;
  user_id: string;
  first_seen_at: Date;
  via: LinkVia;
  message_id: string;
  revision: number;
}

/**
 * The identity graph under a replay from earliest. Its publication ledger is `links` (each
 * pair's first sighting and revision); the other tables publish nothing and are rebuilt as they
 * are. Settling merges the baseline into the rebuilt links by the live rule, as if it were one
 * more batch of sightings: the earliest sighting of a pair wins; a pair whose rebuilt sighting is
 * the published one (or later: raw events past retention) keeps the published row and revision;
 * one whose rebuilt sighting is earlier, or that is new, is published with the next revision. A
 * published pair the rebuild no longer sees stays (identity.links.v1 has no retraction).
 */
export class IdentityRebuiltProjection implements RebuiltProjection {
  private readonly schema: string;

  constructor(
    private readonly schemaName: string,
    private readonly linksTopic: string,
  ) {
    this.schema = quoteIdent(schemaName);
  }

  async keepBaselineAndClear(transaction: EntityManager): Promise<void> {
    const s = this.schema;
    await transaction.query(`TRUNCATE ${s}.replay_baseline_links`);
    await transaction.query(
      `INSERT INTO ${s}.replay_baseline_links (anonymous_id, user_id, first_seen_at, via, message_id, revision, updated_at)
       SELECT anonymous_id, user_id, first_seen_at, via, message_id, revision, updated_at FROM ${s}.links`,
    );
    await transaction.query(`TRUNCATE ${s}.links, ${s}.seen_ids, ${s}.traits, ${s}.timeline`);
  }

  async settle(transaction: EntityManager, cause: ReplayCause): Promise<number> {
    const s = this.schema;
    const same = `b.anonymous_id = l.anonymous_id AND b.user_id = l.user_id`;
    const returnedColumns = 'RETURNING l.anonymous_id, l.user_id, l.first_seen_at, l.via, l.message_id, l.revision';
    const fresh = await returningRows<LinkRow>(
      transaction,
      `UPDATE ${s}.links AS l SET revision = 1, updated_at = now()
       WHERE NOT EXISTS (SELECT 1 FROM ${s}.replay_baseline_links AS b WHERE ${same}) ${returnedColumns}`,
    );
    const earlier = await returningRows<LinkRow>(
      transaction,
      `UPDATE ${s}.links AS l SET revision = b.revision + 1, updated_at = now() FROM ${s}.replay_baseline_links AS b
       WHERE ${same} AND (l.first_seen_at, l.message_id) < (b.first_seen_at, b.message_id) ${returnedColumns}`,
    );
    await transaction.query(
      `UPDATE ${s}.links AS l SET (first_seen_at, via, message_id, revision, updated_at) = (b.first_seen_at, b.via, b.message_id, b.revision, b.updated_at)
       FROM ${s}.replay_baseline_links AS b
       WHERE ${same} AND (l.first_seen_at, l.message_id) >= (b.first_seen_at, b.message_id)`,
    );
    await transaction.query(
      `INSERT INTO ${s}.links (anonymous_id, user_id, first_seen_at, via, message_id, revision, updated_at)
       SELECT anonymous_id, user_id, first_seen_at, via, message_id, revision, updated_at FROM ${s}.replay_baseline_links AS b
       WHERE NOT EXISTS (SELECT 1 FROM ${s}.links AS l WHERE ${same})`,
    );
    await transaction.query(`TRUNCATE ${s}.replay_baseline_links`);

    const changed = [...fresh, ...earlier];
    for (let start = 0; start < changed.length; start += OUTBOX_CHUNK) {
      await appendToOutbox(
        transaction,
        this.schemaName,
        changed.slice(start, start + OUTBOX_CHUNK).map((row) => this.outboxRow(row, cause)),
      );
    }
    return changed.length;
  }

  private outboxRow(row: LinkRow, cause: ReplayCause): OutboxRow {
    const at = row.first_seen_at.toISOString();
    const link: LinkSighting = {
      anonymousId: row.anonymous_id,
      userId: row.user_id,
      at: { iso: at, ms: row.first_seen_at.getTime() },
      via: row.via,
      messageId: row.message_id,
      cause: { eventId: cause.replayId, source: 'replay', correlationId: cause.replayId },
    };
    const event = linkEvent(link, row.revision, cause.at);
    return {
      eventId: event.id,
      topic: this.linksTopic,
      key: link.anonymousId,
      payload: event,
      headers: envelopeMessage(event, null).headers,
    };
  }
}
