import type { DataSource } from 'typeorm';
import { userSourcesSchema, type SubjectType, type UserSources } from '@touchstream/contracts';
import { quoteIdent } from '@touchstream/database';
import { valueText } from '@touchstream/kafka';
import { subjectKey, type SubjectState } from '@touchstream/segment-delivery';

export type IdentifyHandling = 'delivered' | 'dead-lettered' | 'unchanged' | 'cleared' | 'anonymous-identified' | 'anonymous-disabled';
export type TrackHandling = 'delivered' | 'dead-lettered';

/** A touch whose track was handled, and how. */
export interface TrackMarkRow {
  touchId: string;
  outcome: TrackHandling;
}

export interface IdentifyMarkRow {
  subjectType: SubjectType;
  subjectId: string;
  version: number;
  /** Set when traits were delivered; null keeps the hash of the last traits Segment got. */
  traitsHash: string | null;
  outcome: IdentifyHandling;
}

/** What one write of identify marks did, in subjects (several marks for one subject count once). */
export interface IdentifyMarksWritten {
  /** Subjects whose handled version the write recorded. */
  applied: number;
  /** Subjects with no fact row: their marks are lost (a redelivery re-sends the identify). */
  noRow: number;
}

export interface PendingFact {
  fact: UserSources;
  state: SubjectState;
}

/**
 * The sink's Postgres state (migration SinkState1765100000000). Every statement takes a whole
 * batch (unnest), so the cost per Kafka batch is a few round trips whatever its size.
 *
 * The consumer stores facts (one statement per partition's batch) while the mark writer records
 * earlier deliveries over the same rows: every statement that writes subject_facts locks its rows
 * in (subject_type, subject_id) order, or two of them deadlock and a consumer batch is retried
 * (which re-sends calls Segment already has; seen in the pipeline benchmark).
 */
export class SinkStore {
  private readonly facts: string;
  private readonly tracked: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    this.facts = `${quoteIdent(schema)}.subject_facts`;
    this.tracked = `${quoteIdent(schema)}.tracked_touches`;
  }

  /** What is stored for these subjects: the newest version, and what was handled (zeros when nothing is). */
  async factStates(subjects: ReadonlyArray<{ subjectType: string; subjectId: string }>): Promise<Map<string, SubjectState>> {
    if (subjects.length === 0) return new Map();
    const rows: Array<{
      subject_type: string;
      subject_id: string;
      version: number;
      handled_version: number;
      handled_traits_hash: string | null;
    }> = await this.dataSource.query(
      `SELECT f.subject_type, f.subject_id, f.version, f.handled_version, f.handled_traits_hash
         FROM ${this.facts} f JOIN unnest($1::text[], $2::text[]) AS u(subject_type, subject_id)
           ON f.subject_type = u.subject_type AND f.subject_id = u.subject_id`,
      [subjects.map((subject) => subject.subjectType), subjects.map((subject) => subject.subjectId)],
    );
    return new Map(
      rows.map((row) => [
        subjectKey(row.subject_type, row.subject_id),
        { storedVersion: row.version, handledVersion: row.handled_version, handledTraitsHash: row.handled_traits_hash },
      ]),
    );
  }

  /**
   * Keeps the newest fact per subject (input: one fact per subject); an older version never
   * replaces a newer one. The rows travel as one JSON document: a jsonb[] parameter would make
   * the driver escape every quote of every fact into an array literal.
   */
  async storeFacts(facts: ReadonlyArray<{ fact: UserSources; raw?: Buffer | null }>): Promise<void> {
    if (facts.length === 0) return;
    // A fact that came from Kafka is stored as the bytes that arrived (they passed the contract):
    // serialising 50,000 parsed facts again was the sink's largest cost of its own.
    const rows = facts.map(({ fact, raw }) => {
      const { subjectType, subjectId, version } = fact.data;
      return `{"t":${JSON.stringify(subjectType)},"i":${JSON.stringify(subjectId)},"v":${version},"f":${valueText({ value: fact, raw })}}`;
    });
    await this.dataSource.query(
      `INSERT INTO ${this.facts} AS f (subject_type, subject_id, version, fact)
       SELECT e->>'t', e->>'i', (e->>'v')::int, e->'f' FROM jsonb_array_elements($1::jsonb) AS e
       ORDER BY e->>'t', e->>'i'
       ON CONFLICT (subject_type, subject_id) DO UPDATE SET version = excluded.version, fact = excluded.fact, updated_at = now()
       WHERE excluded.version > f.version`,
      [`[${rows.join(',')}]`],
    );
  }

  /** Which of these touches already had their track handled. */
  async trackedAmong(touchIds: readonly string[]): Promise<Set<string>> {
    if (touchIds.length === 0) return new Set();
    const rows: Array<{ touch_id: string }> = await this.dataSource.query(
      `SELECT touch_id FROM ${this.tracked} WHERE touch_id = ANY($1::text[])`,
      [touchIds],
    );
    return new Set(rows.map((row) => row.touch_id));
  }

  /**
   * Records handled versions; of several rows for one subject the newest counts (an UPDATE applies
   * one per row). A mark is an UPDATE of its fact's row: one whose subject has no row is lost (the
   * answer's `noRow`), while one whose subject already has this version or a newer one handled is
   * skipped on purpose (counted in neither figure). Both figures count subjects, not input rows.
   */
  async markIdentifies(marks: readonly IdentifyMarkRow[]): Promise<IdentifyMarksWritten> {
    if (marks.length === 0) return { applied: 0, noRow: 0 };
    const newest = new Map<string, IdentifyMarkRow>();
    for (const mark of marks) {
      const key = subjectKey(mark.subjectType, mark.subjectId);
      const seen = newest.get(key);
      if (!seen || mark.version > seen.version || (mark.version === seen.version && mark.traitsHash !== null)) newest.set(key, mark);
    }
    const rows = [...newest.values()];
    const [counts]: Array<{ applied: number; no_row: number }> = await this.dataSource.query(
      // The join may visit rows in any order; the CTE locks them in key order first. Every part of
      // the statement reads the same snapshot: a subject missing from `subject_facts` there is
      // one the UPDATE could not find either (a row existing but already handled is not missing).
      `WITH u AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[]) AS u(subject_type, subject_id, version, traits_hash, outcome)
       ), locked AS (
         SELECT f.subject_type, f.subject_id FROM ${this.facts} AS f JOIN u ON f.subject_type = u.subject_type AND f.subject_id = u.subject_id
         WHERE f.handled_version < u.version ORDER BY f.subject_type, f.subject_id FOR UPDATE OF f
       ), applied AS (
         UPDATE ${this.facts} AS f
         SET handled_version = u.version, handled_traits_hash = coalesce(u.traits_hash, f.handled_traits_hash), handled_outcome = u.outcome, handled_at = now()
         FROM u JOIN locked AS l ON l.subject_type = u.subject_type AND l.subject_id = u.subject_id
         WHERE f.subject_type = u.subject_type AND f.subject_id = u.subject_id AND f.handled_version < u.version
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM applied)::int AS applied,
              (SELECT count(*) FROM u WHERE NOT EXISTS (
                 SELECT 1 FROM ${this.facts} AS f WHERE f.subject_type = u.subject_type AND f.subject_id = u.subject_id
              ))::int AS no_row`,
      [
        rows.map((row) => row.subjectType),
        rows.map((row) => row.subjectId),
        rows.map((row) => row.version),
        rows.map((row) => row.traitsHash),
        rows.map((row) => row.outcome),
      ],
    );
    return { applied: counts?.applied ?? 0, noRow: counts?.no_row ?? 0 };
  }

  async markTracks(rows: readonly TrackMarkRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO ${this.tracked} (touch_id, outcome) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (touch_id) DO NOTHING`,
      [rows.map((row) => row.touchId), rows.map((row) => row.outcome)],
    );
  }

  /** Subjects whose newest version is not handled yet, in key order after `after` (backfill flush pages). */
  async pendingFacts(limit: number, after: { subjectType: string; subjectId: string } | null): Promise<PendingFact[]> {
    const rows: Array<{ fact: unknown; version: number; handled_version: number; handled_traits_hash: string | null }> =
      await this.dataSource.query(
        `SELECT fact, version, handled_version, handled_traits_hash FROM ${this.facts}
       WHERE version > handled_version AND ($1::text IS NULL OR (subject_type, subject_id) > ($1::text, $2::text))
       ORDER BY subject_type, subject_id LIMIT $3`,
        [after?.subjectType ?? null, after?.subjectId ?? null, limit],
      );
    return rows.map((row) => ({
      fact: storedFact(row.fact),
      state: { storedVersion: row.version, handledVersion: row.handled_version, handledTraitsHash: row.handled_traits_hash },
    }));
  }

  async pendingCount(): Promise<number> {
    const rows: Array<{ count: string }> = await this.dataSource.query(
      `SELECT count(*) AS count FROM ${this.facts} WHERE version > handled_version`,
    );
    return Number(rows[0]?.count ?? 0);
  }

  async factOf(subjectType: SubjectType, subjectId: string): Promise<UserSources | null> {
    const rows: Array<{ fact: unknown }> = await this.dataSource.query(
      `SELECT fact FROM ${this.facts} WHERE subject_type = $1 AND subject_id = $2`,
      [subjectType, subjectId],
    );
    const row = rows[0];
    return row ? storedFact(row.fact) : null;
  }
}

/** A stored fact is kept as it arrived, so it goes through the contract again (its defaults included). */
function storedFact(stored: unknown): UserSources {
  return userSourcesSchema.parse(stored);
}
