import type { EntityManager } from 'typeorm';
import type { Channel, TouchSource } from '@touchstream/contracts';
import {
  visitorKey,
  visitorOfKey,
  type LinkState,
  type PageViewFact,
  type SubjectState,
  type TouchDetails,
  type TouchState,
  type ViewWindow,
} from '../domain';
import { quoteIdent } from '@touchstream/database';
import type { SegmentCampaign } from '@touchstream/source-detection';
import { lockKey } from './lock-key';

/** Advisory-lock classes (two-int keys): a batch takes its partition's lock, then its users' locks in key order. */
const PARTITION_LOCKS = 7101;
const USER_LOCKS = 7102;

export interface NewPageViewRow {
  visitor: string;
  view: PageViewFact;
  url: string | null;
  referrer: string | null;
  campaign: SegmentCampaign | null;
}

export interface StoredViewDetails {
  url: string | null;
  referrer: string | null;
  campaign: SegmentCampaign | null;
}

/** Which of a visitor's views to read: those in the window, all of them (null), or none. */
export interface ViewsToLoad {
  visitor: string;
  window: ViewWindow | null;
}

/** What a batch reads under its partition lock. */
export interface VisitorState {
  /** The batch's messageIds that are stored already (for any visitor). */
  seenMessageIds: string[];
  /** Per visitor key: the views asked for (time-ordered) and every touch. */
  views: Map<string, PageViewFact[]>;
  touches: Map<string, TouchState[]>;
  /** The links of the batch's anonymousIds. */
  links: LinkState[];
}

/** What a batch reads under its users' locks. */
export interface UserState {
  /** The recorded touches the users own in visitors outside the batch. */
  userTouches: TouchState[];
  subjects: SubjectState[];
}

export interface StateChanges {
  touches: ReadonlyArray<{ touch: TouchState; details: TouchDetails }>;
  links: readonly LinkState[];
  subjects: readonly SubjectState[];
}

// Rows travel as JSON both ways: reads aggregate them (json_agg of arrays, parsed once by
// JSON.parse instead of row by row), writes send one document per table (jsonb_to_recordset)
// instead of one array parameter per column, whose elements the driver escapes one by one. Each
// phase is one round trip.

const MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;
const TOUCH_ARRAY = `json_build_array(touch_id, visitor, message_id, session_id, ${MS('occurred_at')}, channel, user_id, status, revision)`;
const SUBJECT_ARRAY = 'json_build_array(subject_type, subject_id, version, fingerprint, first_touch_id, last_touch_id, touch_count)';
type TouchTuple = [string, string, string, string, number, string, string | null, string, number];
type ViewTuple = [string, string, number, boolean, string | null, string | null];
type LinkTuple = [string, string, number, number];
type SubjectTuple = ['user' | 'anonymous', string, number, string, string | null, string | null, number];

/**
 * Rows of `table` whose `column` equals one of the keys in an array parameter, one index lookup per
 * key: a LATERAL subquery kept from being flattened by OFFSET 0. `column = ANY($n)` leaves the
 * choice to the planner's statistics, which lag a table that a backfill is filling: on a table
 * never analyzed it read all 127 k touches for 373 visitors (42 ms of a 62 ms read; 10 ms once
 * analyzed, 127 k rows in, docs/benchmarks-attribution.md). Keys are made distinct, as `= ANY` would.
 */
function perKey(keysParameter: string, table: string, column: string, extraCondition = ''): string {
  return `(SELECT DISTINCT key FROM unnest(${keysParameter}::text[]) AS u(key)) AS k
    CROSS JOIN LATERAL (SELECT * FROM ${table} AS x WHERE x.${column} = k.key ${extraCondition} OFFSET 0) AS t`;
}

function touchOf([touchId, visitor, messageId, sessionId, at, channel, userId, status, revision]: TouchTuple): TouchState {
  return {
    touchId,
    messageId,
    visitor: visitorOfKey(visitor),
    at,
    channel: channel as Channel,
    sessionId,
    userId,
    status: status === 'withdrawn' ? 'withdrawn' : 'recorded',
    revision,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The windows as a JSON document for jsonb_to_recordset; a window holding nothing is left out. */
function windowsDocument(toLoad: readonly ViewsToLoad[]): string {
  const rows: Array<{ visitor: string; from_at: string; to_at: string }> = [];
  for (const { visitor, window } of toLoad) {
    if (window === null) rows.push({ visitor, from_at: '-infinity', to_at: 'infinity' });
    else if (window.from <= window.to) rows.push({ visitor, from_at: iso(window.from), to_at: iso(window.to) });
  }
  return JSON.stringify(rows);
}

function viewsByVisitor(tuples: readonly ViewTuple[]): Map<string, PageViewFact[]> {
  const views = new Map<string, PageViewFact[]>();
  for (const [visitor, messageId, at, internal, signature, channel] of tuples) {
    let list = views.get(visitor);
    if (list === undefined) {
      list = [];
      views.set(visitor, list);
    }
    list.push({ messageId, at, internal, signature, channel: channel as Channel | null });
  }
  return views;
}

/**
 * The attribution service's SQL: what a batch may change, read in two round trips (under the
 * partition lock, then under the users' locks), and what changed, written in two (the page views
 * before the users' locks, the rest after). Every method runs in the caller's transaction.
 */
export class AttributionStore {
  private readonly t: { pageViews: string; touches: string; links: string; subjects: string };

  constructor(schema: string) {
    const s = quoteIdent(schema);
    this.t = { pageViews: `${s}.page_views`, touches: `${s}.touches`, links: `${s}.links`, subjects: `${s}.subjects` };
  }

  /**
   * Serialises the batches that can change the same visitors: a visitor's raw events (keyed by
   * anonymousId, else userId) and its links (keyed by anonymousId) are on the same partition
   * number of their topics, which have the same partition count (see docs/decisions/0007). One
   * lock per batch, whichever instance or concurrent slot runs it.
   */
  async lockPartition(tx: EntityManager, partition: number): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [PARTITION_LOCKS, partition]);
  }

  /** Serialises the batches that change the same users (any partition); taken after lockPartition, never before. */
  async lockUsers(tx: EntityManager, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const keys = [...new Set(userIds.map(lockKey))].sort((a, b) => a - b);
    await tx.query('SELECT pg_advisory_xact_lock($1::int, key) FROM unnest($2::int[]) AS key', [USER_LOCKS, keys]);
  }

  async loadVisitors(
    tx: EntityManager,
    messageIds: readonly string[],
    toLoad: readonly ViewsToLoad[],
    anonymousIds: readonly string[],
  ): Promise<VisitorState> {
    const visitorKeys = toLoad.map((entry) => entry.visitor);
    const rows: Array<{ seen: string[]; views: ViewTuple[]; touches: TouchTuple[]; links: LinkTuple[] }> = await tx.query(
      `SELECT
         (SELECT coalesce(json_agg(message_id), '[]') FROM ${this.t.pageViews} WHERE message_id = ANY($1::text[])) AS seen,
         ${this.viewsSelect('$2')} AS views,
         (SELECT coalesce(json_agg(${TOUCH_ARRAY}), '[]') FROM ${perKey('$3', this.t.touches, 'visitor')}) AS touches,
         (SELECT coalesce(json_agg(json_build_array(anonymous_id, user_id, ${MS('first_seen_at')}, revision)), '[]')
            FROM ${perKey('$4', this.t.links, 'anonymous_id')}) AS links`,
      [messageIds, windowsDocument(toLoad), visitorKeys, anonymousIds],
    );
    const row = rows[0] ?? { seen: [], views: [], touches: [], links: [] };
    const touches = new Map<string, TouchState[]>();
    for (const tuple of row.touches) {
      const list = touches.get(tuple[1]);
      if (list) list.push(touchOf(tuple));
      else touches.set(tuple[1], [touchOf(tuple)]);
    }
    return {
      seenMessageIds: row.seen,
      views: viewsByVisitor(row.views),
      touches,
      links: row.links.map(([anonymousId, userId, firstSeenAt, revision]) => ({ anonymousId, userId, firstSeenAt, revision })),
    };
  }

  /** Views of visitors, each within its window (null: all of them); time-ordered per visitor. */
  async loadViews(tx: EntityManager, toLoad: readonly ViewsToLoad[]): Promise<Map<string, PageViewFact[]>> {
    const rows: Array<{ views: ViewTuple[] }> = await tx.query(`SELECT ${this.viewsSelect('$1')} AS views`, [windowsDocument(toLoad)]);
    return viewsByVisitor(rows[0]?.views ?? []);
  }

  /**
   * One index range scan per window (the lateral subquery, kept from being flattened by OFFSET 0:
   * the planner takes jsonb_to_recordset for 100 rows and would otherwise hash-join a sequential
   * scan of all page views, which grows with the table).
   */
  private viewsSelect(windowsParameter: string): string {
    return `(SELECT coalesce(json_agg(json_build_array(w.visitor, p.message_id, ${MS('p.occurred_at')}, p.internal, p.signature, p.channel)
        ORDER BY w.visitor, p.occurred_at, p.message_id COLLATE "C"), '[]')
      FROM jsonb_to_recordset(${windowsParameter}::jsonb) AS w(visitor text, from_at timestamptz, to_at timestamptz)
      CROSS JOIN LATERAL (
        SELECT v.message_id, v.occurred_at, v.internal, v.signature, v.channel FROM ${this.t.pageViews} AS v
        WHERE v.visitor = w.visitor AND v.occurred_at BETWEEN w.from_at AND w.to_at OFFSET 0
      ) AS p)`;
  }

  async loadUsers(
    tx: EntityManager,
    userIds: readonly string[],
    exceptVisitors: readonly string[],
    anonymousIds: readonly string[],
  ): Promise<UserState> {
    const rows: Array<{ touches: TouchTuple[]; anonymous_subjects: SubjectTuple[]; user_subjects: SubjectTuple[] }> = await tx.query(
      `SELECT
         (SELECT coalesce(json_agg(${TOUCH_ARRAY}), '[]')
            FROM ${perKey('$1', this.t.touches, 'user_id', "AND x.status = 'recorded' AND x.user_id IS NOT NULL")}
            WHERE NOT (t.visitor = ANY($2::text[]))) AS touches,
         (SELECT coalesce(json_agg(${SUBJECT_ARRAY}), '[]')
            FROM ${perKey('$3', this.t.subjects, 'subject_id', "AND x.subject_type = 'anonymous'")}) AS anonymous_subjects,
         (SELECT coalesce(json_agg(${SUBJECT_ARRAY}), '[]')
            FROM ${perKey('$1', this.t.subjects, 'subject_id', "AND x.subject_type = 'user'")}) AS user_subjects`,
      [userIds, exceptVisitors, anonymousIds],
    );
    const row = rows[0] ?? { touches: [], anonymous_subjects: [], user_subjects: [] };
    return {
      userTouches: row.touches.map(touchOf),
      subjects: [...row.anonymous_subjects, ...row.user_subjects].map(
        ([type, id, version, fingerprint, firstTouchId, lastTouchId, touchCount]) => ({
          type,
          id,
          version,
          fingerprint,
          firstTouchId,
          lastTouchId,
          touchCount,
        }),
      ),
    };
  }

  /** Details of touches stored already, by touchId. */
  async touchDetails(tx: EntityManager, touchIds: readonly string[]): Promise<Map<string, TouchDetails>> {
    if (touchIds.length === 0) return new Map();
    const rows: Array<{ touch_id: string; url: string | null; referrer: string | null; source: TouchSource }> = await tx.query(
      `SELECT touch_id::text AS touch_id, url, referrer, source FROM ${this.t.touches} WHERE touch_id = ANY($1::uuid[])`,
      [touchIds],
    );
    return new Map(rows.map((row) => [row.touch_id, { url: row.url, referrer: row.referrer, source: row.source }]));
  }

  /** What a stored page view needs to be classified again (it became a touch after it was stored). */
  async viewDetails(tx: EntityManager, messageIds: readonly string[]): Promise<Map<string, StoredViewDetails>> {
    if (messageIds.length === 0) return new Map();
    const rows: Array<{ message_id: string; url: string | null; referrer: string | null; campaign: SegmentCampaign | null }> =
      await tx.query(`SELECT message_id, url, referrer, campaign FROM ${this.t.pageViews} WHERE message_id = ANY($1::text[])`, [
        messageIds,
      ]);
    return new Map(rows.map((row) => [row.message_id, { url: row.url, referrer: row.referrer, campaign: row.campaign }]));
  }

  /** Stores new page views (a stored messageId is kept), under the partition lock only. */
  async saveViews(tx: EntityManager, rows: readonly NewPageViewRow[]): Promise<void> {
    if (rows.length === 0) return;
    const views = rows.map((row) => ({
      message_id: row.view.messageId,
      visitor: row.visitor,
      occurred_at: iso(row.view.at),
      internal: row.view.internal,
      signature: row.view.signature,
      channel: row.view.channel,
      url: row.url,
      referrer: row.referrer,
      campaign: row.campaign,
    }));
    await tx.query(
      `INSERT INTO ${this.t.pageViews} (message_id, visitor, occurred_at, internal, signature, channel, url, referrer, campaign)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(message_id text, visitor text, occurred_at timestamptz, internal boolean,
         signature text, channel text, url text, referrer text, campaign jsonb)
       ON CONFLICT (message_id) DO NOTHING`,
      [JSON.stringify(views)],
    );
  }

  /**
   * Writes the rest of a batch's changes in one statement: new touches and the latest revision of
   * changed ones, the earliest sighting of each link, and each changed subject's published version.
   */
  async save(tx: EntityManager, changes: StateChanges): Promise<void> {
    const touches = changes.touches.map(({ touch, details }) => ({
      touch_id: touch.touchId,
      visitor: visitorKey(touch.visitor),
      message_id: touch.messageId,
      session_id: touch.sessionId,
      occurred_at: iso(touch.at),
      channel: touch.channel,
      user_id: touch.userId,
      status: touch.status,
      revision: touch.revision,
      url: details.url,
      referrer: details.referrer,
      source: details.source,
    }));
    const links = changes.links.map((link) => ({
      anonymous_id: link.anonymousId,
      user_id: link.userId,
      first_seen_at: iso(link.firstSeenAt),
      revision: link.revision,
    }));
    const subjects = changes.subjects.map((subject) => ({
      subject_type: subject.type,
      subject_id: subject.id,
      version: subject.version,
      fingerprint: subject.fingerprint ?? '',
      first_touch_id: subject.firstTouchId,
      last_touch_id: subject.lastTouchId,
      touch_count: subject.touchCount,
    }));
    if (touches.length + links.length + subjects.length === 0) return;
    await tx.query(
      `WITH touch_revisions AS (
         INSERT INTO ${this.t.touches} (touch_id, visitor, message_id, session_id, occurred_at, channel, user_id, status, revision, url, referrer, source)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(touch_id uuid, visitor text, message_id text, session_id uuid, occurred_at timestamptz,
           channel text, user_id text, status text, revision int, url text, referrer text, source jsonb)
         ON CONFLICT (touch_id) DO UPDATE SET session_id = EXCLUDED.session_id, user_id = EXCLUDED.user_id, status = EXCLUDED.status,
           revision = EXCLUDED.revision
       ), link_sightings AS (
         INSERT INTO ${this.t.links} (anonymous_id, user_id, first_seen_at, revision)
         SELECT * FROM jsonb_to_recordset($2::jsonb) AS r(anonymous_id text, user_id text, first_seen_at timestamptz, revision int)
         ON CONFLICT (anonymous_id, user_id) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at, revision = EXCLUDED.revision
       ), subject_versions AS (
         INSERT INTO ${this.t.subjects} (subject_type, subject_id, version, fingerprint, first_touch_id, last_touch_id, touch_count)
         SELECT * FROM jsonb_to_recordset($3::jsonb) AS r(subject_type text, subject_id text, version int, fingerprint text,
           first_touch_id uuid, last_touch_id uuid, touch_count int)
         ON CONFLICT (subject_type, subject_id) DO UPDATE SET version = EXCLUDED.version, fingerprint = EXCLUDED.fingerprint,
           first_touch_id = EXCLUDED.first_touch_id, last_touch_id = EXCLUDED.last_touch_id, touch_count = EXCLUDED.touch_count
       )
       SELECT 1`,
      [JSON.stringify(touches), JSON.stringify(links), JSON.stringify(subjects)],
    );
  }
}
