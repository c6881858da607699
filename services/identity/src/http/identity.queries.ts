import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { quoteIdent } from '@touchstream/database';
import { conflictsOf, ownershipOf, type IdentityConflict, type LinkRecord, type Ownership } from '../domain';
import { IDENTITY_CONFIG, type IdentityConfig } from '../config';
import { encodeCursor, type TimelineCursor } from './debug-queries.schema';

/** The most anonymousIds one user view lists (a bot can rack up thousands). */
const MAX_LINKS_LISTED = 1_000;

interface LinkRow {
  anonymous_id: string;
  user_id: string;
  first_seen_at: Date;
  via: string;
  message_id: string;
  revision: number;
}

interface SeenRow {
  id: string;
  first_seen_at: Date;
  last_seen_at: Date;
}

interface TimelineRow {
  message_id: string;
  anonymous_id: string | null;
  user_id: string | null;
  type: string;
  name: string | null;
  ts: Date;
  url: string | null;
  referrer: string | null;
  attributed_by: 'userId' | 'anonymousId' | 'link';
}

export interface LinkView {
  linkedAt: string;
  via: string;
  messageId: string;
  revision: number;
}

export interface UserView {
  userId: string;
  /** When an event carried this userId; null when it is known from an alias or link only. */
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  anonymousIds: Array<LinkView & { anonymousId: string; firstSeenAt: string | null; lastSeenAt: string | null; sharedWith: string[] }>;
  truncated: boolean;
  traits: Record<string, { value: unknown; observedAt: string }>;
  conflicts: IdentityConflict[];
}

export interface AnonymousView {
  anonymousId: string;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  userIds: Array<LinkView & { userId: string; owns: Ownership }>;
  conflict: boolean;
}

export interface TimelinePage {
  events: Array<{
    messageId: string;
    type: string;
    name: string | null;
    timestamp: string;
    url: string | null;
    referrer: string | null;
    anonymousId: string | null;
    userId: string | null;
    /** Why the entry is on this page: it carries the id, or a link gives its anonymousId's touch to the user. */
    attributedBy: 'userId' | 'anonymousId' | 'link';
  }>;
  /** Pass as `before` for the next page; null on the last page. */
  nextBefore: string | null;
}

const iso = (date: Date) => date.toISOString();
const linkRecord = (row: LinkRow): LinkRecord => ({
  anonymousId: row.anonymous_id,
  userId: row.user_id,
  firstSeenAt: iso(row.first_seen_at),
  via: row.via,
  messageId: row.message_id,
});
const linkView = (row: LinkRow): LinkView => ({
  linkedAt: iso(row.first_seen_at),
  via: row.via,
  messageId: row.message_id,
  revision: row.revision,
});

/** Read side of the debug endpoints: small indexed queries, answers shaped for people. */
@Injectable()
export class IdentityQueries {
  private readonly schema: string;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(IDENTITY_CONFIG) config: IdentityConfig,
  ) {
    this.schema = quoteIdent(config.IDENTITY_DB_SCHEMA);
  }

  /** null when no event and no link mentions the userId. */
  async user(userId: string): Promise<UserView | null> {
    const [seen] = await this.seen('user', [userId]);
    const links: LinkRow[] = await this.dataSource.query(
      `SELECT anonymous_id, user_id, first_seen_at, via, message_id, revision FROM ${this.schema}.links
       WHERE user_id = $1 ORDER BY first_seen_at, anonymous_id LIMIT ${MAX_LINKS_LISTED + 1}`,
      [userId],
    );
    if (!seen && links.length === 0) return null;
    const listed = links.slice(0, MAX_LINKS_LISTED);
    const anonymousIds = listed.map((link) => link.anonymous_id);
    const activity = new Map((await this.seen('anonymous', anonymousIds)).map((row) => [row.id, row]));
    const sharing = await this.linksOf(anonymousIds);
    const traits: Array<{ key: string; value: unknown; observed_at: Date }> = await this.dataSource.query(
      `SELECT key, value, observed_at FROM ${this.schema}.traits WHERE user_id = $1 ORDER BY key`,
      [userId],
    );
    return {
      userId,
      firstSeenAt: seen ? iso(seen.first_seen_at) : null,
      lastSeenAt: seen ? iso(seen.last_seen_at) : null,
      anonymousIds: listed.map((link) => {
        const device = activity.get(link.anonymous_id);
        return {
          anonymousId: link.anonymous_id,
          ...linkView(link),
          firstSeenAt: device ? iso(device.first_seen_at) : null,
          lastSeenAt: device ? iso(device.last_seen_at) : null,
          sharedWith: sharing
            .filter((other) => other.anonymous_id === link.anonymous_id && other.user_id !== userId)
            .map((other) => other.user_id),
        };
      }),
      truncated: links.length > MAX_LINKS_LISTED,
      traits: Object.fromEntries(traits.map((trait) => [trait.key, { value: trait.value, observedAt: iso(trait.observed_at) }])),
      conflicts: conflictsOf(sharing.map(linkRecord)),
    };
  }

  /** null when no event and no link mentions the anonymousId. */
  async anonymous(anonymousId: string): Promise<AnonymousView | null> {
    const [seen] = await this.seen('anonymous', [anonymousId]);
    const links = await this.linksOf([anonymousId]);
    if (!seen && links.length === 0) return null;
    const ownership = ownershipOf(links.map(linkRecord));
    return {
      anonymousId,
      firstSeenAt: seen ? iso(seen.first_seen_at) : null,
      lastSeenAt: seen ? iso(seen.last_seen_at) : null,
      userIds: ownership.map((owns) => {
        const link = links.find((row) => row.user_id === owns.userId) as LinkRow;
        return { userId: link.user_id, ...linkView(link), owns };
      }),
      conflict: links.length > 1,
    };
  }

  /** A user's timeline: events carrying the userId, and anonymous events its links give it. null for an unknown user. */
  async userTimeline(userId: string, limit: number, before: TimelineCursor | undefined): Promise<TimelinePage | null> {
    const [seen] = await this.seen('user', [userId]);
    const own: LinkRow[] = await this.dataSource.query(`SELECT anonymous_id FROM ${this.schema}.links WHERE user_id = $1`, [userId]);
    if (!seen && own.length === 0) return null;
    const owned = await this.ownedSpans(
      userId,
      own.map((link) => link.anonymous_id),
    );
    const bound = cursorParams(before);
    const rows: TimelineRow[] = await this.dataSource.query(
      `SELECT * FROM (
         (SELECT t.*, 'userId' AS attributed_by FROM ${this.schema}.timeline t
          WHERE t.user_id = $1 AND (t.ts, t.message_id) < ($2::timestamptz, $3::text COLLATE "C")
          ORDER BY t.ts DESC, t.message_id DESC LIMIT $4)
         UNION ALL
         (SELECT t.*, 'link' AS attributed_by FROM ${this.schema}.timeline t
          JOIN unnest($5::text[], $6::timestamptz[], $7::timestamptz[]) AS o(a, f, u) ON t.anonymous_id = o.a
          WHERE t.user_id IS NULL AND (o.f IS NULL OR t.ts >= o.f) AND (o.u IS NULL OR t.ts < o.u)
            AND (t.ts, t.message_id) < ($2::timestamptz, $3::text COLLATE "C")
          ORDER BY t.ts DESC, t.message_id DESC LIMIT $4)
       ) page ORDER BY ts DESC, message_id DESC LIMIT $4`,
      [
        userId,
        bound.timestamp,
        bound.messageId,
        limit + 1,
        owned.map((span) => span.anonymousId),
        owned.map((span) => span.from),
        owned.map((span) => span.to),
      ],
    );
    return page(rows, limit);
  }

  /** An anonymousId's timeline: every event carrying it. null for an unknown anonymousId. */
  async anonymousTimeline(anonymousId: string, limit: number, before: TimelineCursor | undefined): Promise<TimelinePage | null> {
    const [seen] = await this.seen('anonymous', [anonymousId]);
    if (!seen && (await this.linksOf([anonymousId])).length === 0) return null;
    const bound = cursorParams(before);
    const rows: TimelineRow[] = await this.dataSource.query(
      `SELECT t.*, 'anonymousId' AS attributed_by FROM ${this.schema}.timeline t
       WHERE t.anonymous_id = $1 AND (t.ts, t.message_id) < ($2::timestamptz, $3::text COLLATE "C")
       ORDER BY t.ts DESC, t.message_id DESC LIMIT $4`,
      [anonymousId, bound.timestamp, bound.messageId, limit + 1],
    );
    return page(rows, limit);
  }

  /** The time spans in which each of the user's anonymousIds' anonymous touches are the user's. */
  private async ownedSpans(
    userId: string,
    anonymousIds: string[],
  ): Promise<Array<{ anonymousId: string; from: string | null; to: string | null }>> {
    const links = await this.linksOf(anonymousIds);
    return anonymousIds.flatMap((anonymousId) =>
      ownershipOf(links.filter((link) => link.anonymous_id === anonymousId).map(linkRecord))
        .filter((owns) => owns.userId === userId)
        .map((owns) => ({ anonymousId, from: owns.from, to: owns.to })),
    );
  }

  private seen(kind: 'user' | 'anonymous', ids: string[]): Promise<SeenRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT id, first_seen_at, last_seen_at FROM ${this.schema}.seen_ids WHERE kind = $1 AND id = ANY($2::text[])`,
      [kind, ids],
    );
  }

  private linksOf(anonymousIds: string[]): Promise<LinkRow[]> {
    if (anonymousIds.length === 0) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT anonymous_id, user_id, first_seen_at, via, message_id, revision FROM ${this.schema}.links
       WHERE anonymous_id = ANY($1::text[]) ORDER BY anonymous_id, first_seen_at, user_id`,
      [anonymousIds],
    );
  }
}

/** No cursor: everything (before the end of time). A bare timestamp: strictly before it. */
function cursorParams(before: TimelineCursor | undefined): { timestamp: string; messageId: string } {
  return before ?? { timestamp: 'infinity', messageId: '' };
}

function page(rows: TimelineRow[], limit: number): TimelinePage {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    events: shown.map((row) => ({
      messageId: row.message_id,
      type: row.type,
      name: row.name,
      timestamp: iso(row.ts),
      url: row.url,
      referrer: row.referrer,
      anonymousId: row.anonymous_id,
      userId: row.user_id,
      attributedBy: row.attributed_by,
    })),
    nextBefore: rows.length > limit && last ? encodeCursor({ timestamp: iso(last.ts), messageId: last.message_id }) : null,
  };
}
