import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Channel, LastTouchModel, SubjectType, TouchData, TouchSource } from '@touchstream/contracts';
import {
  firstAndLast,
  multiTouchCredit,
  sessionize,
  touchData,
  visitorKey,
  visitorOfKey,
  type MultiTouchCredit,
  type TouchState,
} from '../domain';
import { quoteIdent } from '@touchstream/database';
import { ATTRIBUTION_OPTIONS, type AttributionOptions } from '../config';

export interface SessionView {
  sessionId: string;
  startedAt: string;
  endedAt: string;
  pageViews: number;
  touchIds: string[];
}

interface AttributionView {
  /** Version of the last attribution.user-sources.v1 fact published for the subject (null: none yet). */
  version: number | null;
  lastTouchModel: LastTouchModel;
  firstTouch: TouchData | null;
  lastTouch: TouchData | null;
  /** Every recorded touch, in time order. */
  touches: TouchData[];
  /** Multi-touch credit by channel over the touches (shares of 1, rounded to 6 decimals). */
  credit: MultiTouchCredit;
}

export interface UserAttributionView extends AttributionView {
  userId: string;
  anonymousIds: Array<{ anonymousId: string; firstSeenAt: string }>;
}

export interface AnonymousAttributionView extends AttributionView {
  anonymousId: string;
  userIds: Array<{ userId: string; firstSeenAt: string }>;
  pageViews: number;
  sessions: SessionView[];
}

interface TouchDetailRow {
  touch_id: string;
  visitor: string;
  message_id: string;
  session_id: string;
  at: number;
  channel: string;
  user_id: string | null;
  revision: number;
  url: string | null;
  referrer: string | null;
  source: TouchSource;
}

const TOUCH_SELECT = `SELECT touch_id::text AS touch_id, visitor, message_id, session_id::text AS session_id,
  (extract(epoch FROM occurred_at) * 1000)::float8 AS at, channel, user_id, revision, url, referrer, source`;

function rounded(credit: MultiTouchCredit): MultiTouchCredit {
  const round = (shares: Partial<Record<Channel, number>>) =>
    Object.fromEntries(Object.entries(shares).map(([channel, share]) => [channel, Math.round((share ?? 0) * 1e6) / 1e6]));
  return { linear: round(credit.linear), timeDecay: round(credit.timeDecay), positionBased: round(credit.positionBased) };
}

/** The debug read side: what is stored for a user or a visitor, with first/last touch and credit. */
@Injectable()
export class AttributionQueries {
  private readonly t: { pageViews: string; touches: string; links: string; subjects: string };

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ATTRIBUTION_OPTIONS) private readonly options: AttributionOptions,
  ) {
    const s = quoteIdent(options.schema);
    this.t = { pageViews: `${s}.page_views`, touches: `${s}.touches`, links: `${s}.links`, subjects: `${s}.subjects` };
  }

  /** Null when nothing is known about the userId. */
  async user(userId: string): Promise<UserAttributionView | null> {
    const touches: TouchDetailRow[] = await this.dataSource.query(
      `${TOUCH_SELECT} FROM ${this.t.touches} WHERE user_id = $1 AND status = 'recorded' ORDER BY occurred_at, message_id`,
      [userId],
    );
    const links: Array<{ anonymous_id: string; first_seen_at: Date }> = await this.dataSource.query(
      `SELECT anonymous_id, first_seen_at FROM ${this.t.links} WHERE user_id = $1 ORDER BY first_seen_at, anonymous_id`,
      [userId],
    );
    const version = await this.version('user', userId);
    if (touches.length === 0 && links.length === 0 && version === null) return null;
    return {
      userId,
      ...this.attribution(touches, version),
      anonymousIds: links.map((link) => ({ anonymousId: link.anonymous_id, firstSeenAt: link.first_seen_at.toISOString() })),
    };
  }

  /** Null when nothing is known about the anonymousId. */
  async anonymous(anonymousId: string): Promise<AnonymousAttributionView | null> {
    const key = visitorKey({ kind: 'anonymous', id: anonymousId });
    const touches: TouchDetailRow[] = await this.dataSource.query(
      `${TOUCH_SELECT} FROM ${this.t.touches} WHERE visitor = $1 AND status = 'recorded' ORDER BY occurred_at, message_id`,
      [key],
    );
    const views: Array<{ message_id: string; at: number; internal: boolean; signature: string | null; channel: Channel | null }> =
      await this.dataSource.query(
        `SELECT message_id, (extract(epoch FROM occurred_at) * 1000)::float8 AS at, internal, signature, channel
         FROM ${this.t.pageViews} WHERE visitor = $1 ORDER BY occurred_at, message_id`,
        [key],
      );
    const links: Array<{ user_id: string; first_seen_at: Date }> = await this.dataSource.query(
      `SELECT user_id, first_seen_at FROM ${this.t.links} WHERE anonymous_id = $1 ORDER BY first_seen_at, user_id`,
      [anonymousId],
    );
    if (views.length === 0 && links.length === 0) return null;
    const sessions = sessionize(
      views.map((view) => ({
        messageId: view.message_id,
        at: view.at,
        internal: view.internal,
        signature: view.signature,
        channel: view.channel,
      })),
      this.options.settings,
    );
    return {
      anonymousId,
      ...this.attribution(touches, await this.version('anonymous', anonymousId)),
      userIds: links.map((link) => ({ userId: link.user_id, firstSeenAt: link.first_seen_at.toISOString() })),
      pageViews: views.length,
      sessions: sessions.map((session) => ({
        sessionId: session.sessionId,
        startedAt: new Date(session.startAt).toISOString(),
        endedAt: new Date(session.endAt).toISOString(),
        pageViews: session.views,
        touchIds: session.touches.map((touch) => touch.touchId),
      })),
    };
  }

  private async version(type: SubjectType, id: string): Promise<number | null> {
    const rows: Array<{ version: number }> = await this.dataSource.query(
      `SELECT version FROM ${this.t.subjects} WHERE subject_type = $1 AND subject_id = $2`,
      [type, id],
    );
    return rows[0]?.version ?? null;
  }

  private attribution(rows: readonly TouchDetailRow[], version: number | null): AttributionView {
    const touches = rows.map((row) => {
      const state: TouchState = {
        touchId: row.touch_id,
        messageId: row.message_id,
        visitor: visitorOfKey(row.visitor),
        at: row.at,
        channel: row.channel as Channel,
        sessionId: row.session_id,
        userId: row.user_id,
        status: 'recorded',
        revision: row.revision,
      };
      return { state, data: touchData(state, { url: row.url, referrer: row.referrer, source: row.source }) };
    });
    const chosen = firstAndLast(
      touches.map((touch) => ({ ...touch.state, data: touch.data })),
      this.options.settings,
    );
    return {
      version,
      lastTouchModel: this.options.settings.lastTouchModel,
      firstTouch: chosen?.first.data ?? null,
      lastTouch: chosen?.last.data ?? null,
      touches: touches.map((touch) => touch.data),
      credit: rounded(multiTouchCredit(touches.map((touch) => touch.state))),
    };
  }
}
