import type { TouchData, TouchSource } from '@touchstream/contracts';
import type { TouchState } from './ledger-types';

/** What a touch carries besides its state: fixed for a messageId. */
export interface TouchDetails {
  url: string | null;
  referrer: string | null;
  source: TouchSource;
}

export function touchData(touch: TouchState, details: TouchDetails): TouchData {
  return {
    touchId: touch.touchId,
    anonymousId: touch.visitor.kind === 'anonymous' ? touch.visitor.id : null,
    userId: touch.userId,
    sessionId: touch.sessionId,
    messageId: touch.messageId,
    occurredAt: new Date(touch.at).toISOString(),
    url: details.url,
    referrer: details.referrer,
    source: details.source,
    status: touch.status,
    revision: touch.revision,
  };
}
