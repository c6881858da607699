import type { Touch, UserSources } from '@touchstream/contracts';
import {
  fitEvent,
  identifyCall,
  subjectKey,
  trackCall,
  trackMessageId,
  traitsHash,
  type BatchLimits,
  type CallSettings,
  type SegmentCall,
} from '@touchstream/segment-delivery';
import type { DeliveryItem, DeliveryMark, EventOrigin } from './delivery-item';

/** A call ready for the dispatcher, or one that can only be dead-lettered (with why). */
export type BuiltCall = { sendable: true; item: DeliveryItem; trimmed: string[] } | { sendable: false; item: DeliveryItem; reason: string };

/** Turns a fact or a touch into a Segment call sized for the per-event limit. */
export class CallBuilder {
  constructor(
    private readonly calls: CallSettings,
    private readonly limits: BatchLimits,
  ) {}

  /** The identify for a fact, and the hash of its full traits (what "unchanged" compares). */
  identify(fact: UserSources, origin: EventOrigin, resendId?: string): { built: BuiltCall; traitsHash: string } {
    const call = identifyCall(fact.data, fact.recordedAt, this.calls, resendId);
    const hash = traitsHash(call.traits);
    const { subjectType, subjectId, version } = fact.data;
    const mark: DeliveryMark = { call: 'identify', subjectType, subjectId, version, traitsHash: hash };
    return { built: this.fit(call, subjectKey(subjectType, subjectId), version, mark, origin), traitsHash: hash };
  }

  track(touch: Touch, origin: EventOrigin, resendId?: string): BuiltCall {
    const mark: DeliveryMark = { call: 'track', touchId: touch.data.touchId };
    const call = trackCall(touch.data, touch.data.userId, this.calls, resendId);
    if (call === null) {
      const item = unsendableItem(trackMessageId(touch.data.touchId, resendId), 'track', mark, origin);
      return { sendable: false, item, reason: 'touch has neither a userId nor an anonymousId: Segment requires one' };
    }
    return this.fit(call, null, touch.data.revision, mark, origin);
  }

  private fit(call: SegmentCall, key: string | null, version: number, mark: DeliveryMark, origin: EventOrigin): BuiltCall {
    const fitted = fitEvent(call, this.limits.maxEventBytes);
    if (!fitted.ok) return { sendable: false, item: unsendableItem(call.messageId, call.type, mark, origin), reason: fitted.reason };
    return {
      sendable: true,
      trimmed: fitted.trimmed,
      item: { messageId: call.messageId, call: call.type, subjectKey: key, version, json: fitted.json, bytes: fitted.bytes, mark, origin },
    };
  }
}

function unsendableItem(messageId: string, call: DeliveryItem['call'], mark: DeliveryMark, origin: EventOrigin): DeliveryItem {
  return { messageId, call, subjectKey: null, version: 0, json: '', bytes: 0, mark, origin };
}
