import { Inject, Injectable } from '@nestjs/common';
import { TOPICS, TOUCH_TYPE, touchEventId, type SubjectType, type Touch, type TouchData, type UserSources } from '@touchstream/contracts';
import { KafkaRuntime, RetriableError } from '@touchstream/kafka';
import { CallBuilder, type BuiltCall } from '../domain/call-builder';
import { storedOrigin } from '../domain/delivery-item';
import { StreamHandler } from '../projection/stream-handler';
import { SinkStore } from '../projection/sink.store';

/** How long an on-demand re-send waits for Segment before answering "still going". */
const RESEND_WAIT_MS = 20_000;

export interface ResendAnswer {
  found: boolean;
  messageIds: string[];
  delivered: number;
  deadLettered: number;
  /** Events still being retried when the answer went out (they keep going). */
  pending: boolean;
}

/**
 * Re-sends the current facts on demand, as the reference build's endpoints did: the identify of a
 * user's stored fact, or the Source Identified tracks of a user's or a visitor's first and last
 * touch (the touches its traits describe; the full touch history is the attribution service's).
 * The messageIds are the stream's own, so a re-send within Segment's dedupe window (about 24 h)
 * is a harmless duplicate; a `resendId` salts them, for a re-send that must get through that
 * window (the same resendId is deduplicated again, so retrying the request is safe).
 */
@Injectable()
export class ResendService {
  /** The topics a re-sent call's origin names: where its fact or touch was read from. */
  private readonly factsTopic: string;
  private readonly touchesTopic: string;

  constructor(
    @Inject(SinkStore) private readonly store: SinkStore,
    @Inject(CallBuilder) private readonly builder: CallBuilder,
    @Inject(StreamHandler) private readonly handler: StreamHandler,
    @Inject(KafkaRuntime) runtime: KafkaRuntime,
  ) {
    this.factsTopic = runtime.topic(TOPICS.userSources);
    this.touchesTopic = runtime.topic(TOPICS.touches);
  }

  async identifyUser(userId: string, resendId?: string): Promise<ResendAnswer> {
    const fact = await this.store.factOf('user', userId);
    if (fact === null) return notFound();
    // A fact without touches has no traits to send (unknown values are omitted, never null).
    if (fact.data.firstTouch === null) return nothingToSend();
    const { built } = this.builder.identify(fact, storedOrigin(this.factsTopic, fact, userId), resendId);
    return this.send([built]);
  }

  trackUser(userId: string, resendId?: string): Promise<ResendAnswer> {
    return this.track('user', userId, resendId);
  }

  trackAnonymous(anonymousId: string, resendId?: string): Promise<ResendAnswer> {
    return this.track('anonymous', anonymousId, resendId);
  }

  private async track(subjectType: SubjectType, subjectId: string, resendId: string | undefined): Promise<ResendAnswer> {
    const fact = await this.store.factOf(subjectType, subjectId);
    if (fact === null) return notFound();
    const touches = [fact.data.firstTouch, fact.data.lastTouch].filter((touch): touch is TouchData => touch !== null);
    const distinct = [...new Map(touches.map((touch) => [touch.touchId, touch])).values()];
    if (distinct.length === 0) return nothingToSend();
    return this.send(
      distinct.map((touch) => this.builder.track(touchEnvelope(fact, touch), storedOrigin(this.touchesTopic, fact, subjectId), resendId)),
    );
  }

  private async send(built: readonly BuiltCall[]): Promise<ResendAnswer> {
    const messageIds = built.map((call) => call.item.messageId);
    try {
      const report = await this.handler.deliver(built, RESEND_WAIT_MS);
      return { found: true, messageIds, delivered: report.delivered, deadLettered: report.deadLettered, pending: false };
    } catch (error) {
      if (!(error instanceof RetriableError)) throw error;
      return { found: true, messageIds, delivered: 0, deadLettered: 0, pending: true };
    }
  }
}

/** A touch carried inside a fact, as the touch event it was published as (the call builder's input). */
function touchEnvelope(fact: UserSources, touch: TouchData): Touch {
  return { ...fact, id: touchEventId(touch.touchId, touch.revision), type: TOUCH_TYPE, occurredAt: touch.occurredAt, data: touch };
}

function nothingToSend(): ResendAnswer {
  return { found: true, messageIds: [], delivered: 0, deadLettered: 0, pending: false };
}

function notFound(): ResendAnswer {
  return { found: false, messageIds: [], delivered: 0, deadLettered: 0, pending: false };
}
