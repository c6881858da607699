import {
  TOUCH_TYPE,
  TRACE_HEADERS,
  TRACEPARENT_HEADER,
  traceparentOf,
  USER_SOURCES_TYPE,
  touchEventId,
  userSourcesEventId,
  type LastTouchModel,
  type Touch,
  type UserSources,
} from '@touchstream/contracts';
import { touchData, type SubjectFact, type TouchDetails, type TouchState } from '../domain';
import type { Cause } from './messages';
import type { OutboxRow } from '@touchstream/eventing';

export interface FactContext {
  touchesTopic: string;
  userSourcesTopic: string;
  lastTouchModel: LastTouchModel;
  /** When this batch recorded the facts (envelope recordedAt). */
  recordedAt: string;
}

function headers(id: string, type: string, cause: Cause): Record<string, string> {
  return {
    [TRACE_HEADERS.eventId]: id,
    [TRACE_HEADERS.eventType]: type,
    [TRACE_HEADERS.correlationId]: cause.correlationId,
    [TRACE_HEADERS.causationId]: cause.id,
    [TRACEPARENT_HEADER]: traceparentOf(cause.correlationId, id),
  };
}

/** attribution.touches.v1 for one revision of a touch; key anonymousId (userId for a userId-only touch). */
export function touchRow(touch: TouchState, details: TouchDetails, cause: Cause, context: FactContext): OutboxRow {
  const data = touchData(touch, details);
  const envelope: Touch = {
    id: touchEventId(touch.touchId, touch.revision),
    type: TOUCH_TYPE,
    occurredAt: data.occurredAt,
    recordedAt: context.recordedAt,
    correlationId: cause.correlationId,
    causationId: cause.id,
    source: cause.source,
    data,
  };
  return {
    eventId: envelope.id,
    topic: context.touchesTopic,
    key: touch.visitor.id,
    payload: envelope,
    headers: headers(envelope.id, TOUCH_TYPE, cause),
  };
}

/** attribution.user-sources.v1 for one version of a subject's fact; key the subjectId. */
export function userSourcesRow(
  fact: SubjectFact,
  detailsOf: (touch: TouchState) => TouchDetails,
  cause: Cause,
  context: FactContext,
): OutboxRow {
  const envelope: UserSources = {
    id: userSourcesEventId(fact.type, fact.id, fact.version),
    type: USER_SOURCES_TYPE,
    occurredAt: cause.occurredAt,
    recordedAt: context.recordedAt,
    correlationId: cause.correlationId,
    causationId: cause.id,
    source: cause.source,
    data: {
      subjectType: fact.type,
      subjectId: fact.id,
      version: fact.version,
      firstTouch: fact.first && touchData(fact.first, detailsOf(fact.first)),
      lastTouch: fact.last && touchData(fact.last, detailsOf(fact.last)),
      lastTouchModel: context.lastTouchModel,
      touchCount: fact.touchCount,
      userIds: fact.userIds,
    },
  };
  return {
    eventId: envelope.id,
    topic: context.userSourcesTopic,
    key: fact.id,
    payload: envelope,
    headers: headers(envelope.id, USER_SOURCES_TYPE, cause),
  };
}
