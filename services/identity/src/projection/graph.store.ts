import type { EntityManager } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { linkKey, type IdentityGraph, type LinkSighting } from '../domain';

export interface ChangedLink {
  link: LinkSighting;
  /** 1 for a new link; higher when this batch moved its first sighting earlier. */
  revision: number;
}

export interface GraphWriteResult {
  changedLinks: ChangedLink[];
  /** AnonymousIds that gained a new link while already linked to another userId. */
  conflictingLinks: number;
  timelineRows: number;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Merges a batch's graph into the projection with one set-based statement per table (INSERT ...
 * SELECT FROM unnest ... ON CONFLICT), each applying the same rule as domain/. Rows
 * go in sorted by key, so concurrent batches lock shared rows in the same order (no deadlock).
 * The links statement returns exactly the links this batch created or moved earlier: its
 * DO UPDATE runs only for an earlier sighting and is decided against the latest committed row.
 */
export async function writeGraph(
  transaction: EntityManager,
  schemaName: string,
  graph: IdentityGraph,
  timelineCutoff: Date,
): Promise<GraphWriteResult> {
  const schema = quoteIdent(schemaName);
  // The timeline first: it is the largest write and no other partition touches its rows. The
  // rows other partitions share (a user's first/last seen and traits, seen from several devices)
  // are written last, so their row locks are held for the shortest time before the commit.
  const timelineRows = await writeTimeline(transaction, schema, graph, timelineCutoff);
  const { changedLinks, conflictingLinks } = await writeLinks(transaction, schema, graph);
  await writeTraits(transaction, schema, graph);
  await writeSeenIds(transaction, schema, graph);
  return { changedLinks, conflictingLinks, timelineRows };
}

async function writeLinks(
  transaction: EntityManager,
  schema: string,
  graph: IdentityGraph,
): Promise<{ changedLinks: ChangedLink[]; conflictingLinks: number }> {
  if (graph.links.size === 0) return { changedLinks: [], conflictingLinks: 0 };
  const links = [...graph.links.values()].sort((a, b) => compare(a.anonymousId, b.anonymousId) || compare(a.userId, b.userId));
  const rows: Array<{ anonymous_id: string; user_id: string; revision: number }> = await transaction.query(
    `INSERT INTO ${schema}.links AS l (anonymous_id, user_id, first_seen_at, via, message_id, revision)
     SELECT a, u, f, v, m, 1 FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) AS i(a, u, f, v, m)
     ON CONFLICT (anonymous_id, user_id) DO UPDATE
       SET first_seen_at = excluded.first_seen_at, via = excluded.via, message_id = excluded.message_id,
           revision = l.revision + 1, updated_at = now()
       WHERE (excluded.first_seen_at, excluded.message_id) < (l.first_seen_at, l.message_id)
     RETURNING anonymous_id, user_id, revision`,
    [
      links.map((link) => link.anonymousId),
      links.map((link) => link.userId),
      links.map((link) => link.at.iso),
      links.map((link) => link.via),
      links.map((link) => link.messageId),
    ],
  );
  const changedLinks = rows.map((row) => ({
    link: graph.links.get(linkKey(row.anonymous_id, row.user_id)) as LinkSighting,
    revision: row.revision,
  }));
  const fresh = [...new Set(changedLinks.filter((changed) => changed.revision === 1).map((changed) => changed.link.anonymousId))];
  if (fresh.length === 0) return { changedLinks, conflictingLinks: 0 };
  const shared: Array<{ users: number }> = await transaction.query(
    `SELECT count(*)::int AS users FROM ${schema}.links WHERE anonymous_id = ANY($1::text[]) GROUP BY anonymous_id HAVING count(*) > 1`,
    [fresh],
  );
  return { changedLinks, conflictingLinks: shared.length };
}

async function writeSeenIds(transaction: EntityManager, schema: string, graph: IdentityGraph): Promise<void> {
  if (graph.ids.size === 0) return;
  const ids = [...graph.ids.values()].sort((a, b) => compare(a.kind, b.kind) || compare(a.id, b.id));
  await transaction.query(
    `INSERT INTO ${schema}.seen_ids AS s (kind, id, first_seen_at, last_seen_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
     ON CONFLICT (kind, id) DO UPDATE
       SET first_seen_at = LEAST(s.first_seen_at, excluded.first_seen_at), last_seen_at = GREATEST(s.last_seen_at, excluded.last_seen_at)
       WHERE excluded.first_seen_at < s.first_seen_at OR excluded.last_seen_at > s.last_seen_at`,
    [ids.map((id) => id.kind), ids.map((id) => id.id), ids.map((id) => id.firstSeen.iso), ids.map((id) => id.lastSeen.iso)],
  );
}

async function writeTraits(transaction: EntityManager, schema: string, graph: IdentityGraph): Promise<void> {
  if (graph.traits.size === 0) return;
  const traits = [...graph.traits.values()].sort((a, b) => compare(a.userId, b.userId) || compare(a.key, b.key));
  await transaction.query(
    `INSERT INTO ${schema}.traits AS t (user_id, key, value, observed_at, message_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[], $5::text[])
     ON CONFLICT (user_id, key) DO UPDATE
       SET value = excluded.value, observed_at = excluded.observed_at, message_id = excluded.message_id
       WHERE (excluded.observed_at, excluded.message_id) > (t.observed_at, t.message_id)`,
    [
      traits.map((trait) => trait.userId),
      traits.map((trait) => trait.key),
      traits.map((trait) => trait.valueJson),
      traits.map((trait) => trait.at.iso),
      traits.map((trait) => trait.messageId),
    ],
  );
}

async function writeTimeline(transaction: EntityManager, schema: string, graph: IdentityGraph, cutoff: Date): Promise<number> {
  const entries = [...graph.timeline.values()].filter((entry) => entry.at.ms >= cutoff.getTime());
  if (entries.length === 0) return 0;
  entries.sort((a, b) => compare(a.messageId, b.messageId));
  const runner = transaction.queryRunner;
  if (!runner) throw new Error('writeGraph must run inside a transaction');
  const result = (await runner.query(
    `INSERT INTO ${schema}.timeline (message_id, anonymous_id, user_id, type, name, ts, url, referrer)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[])
     ON CONFLICT (message_id) DO NOTHING`,
    [
      entries.map((entry) => entry.messageId),
      entries.map((entry) => entry.anonymousId),
      entries.map((entry) => entry.userId),
      entries.map((entry) => entry.type),
      entries.map((entry) => entry.name),
      entries.map((entry) => entry.at.iso),
      entries.map((entry) => entry.url),
      entries.map((entry) => entry.referrer),
    ],
    true,
  )) as { affected?: number };
  return result.affected ?? 0;
}
