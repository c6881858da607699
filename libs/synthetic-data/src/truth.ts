import type { Channel, SegmentEvent } from '@touchstream/contracts';
import type { VisitIntent, PersonPlan } from './person-plan';

/**
 * What the pipeline should conclude about one visit. Every visit opens a session (visits on one
 * device are more than 30 minutes apart, page views within one are minutes apart) and no visit
 * changes campaign mid-session, so every visit is exactly one touch. Reloads keep the landing
 * page's referrer and the return from checkout.stripe.com (an unwanted referral) is not a touch.
 */
export interface VisitTruth {
  person: number;
  visit: number;
  anonymousId: string;
  /** The userId on the landing page view (set when the device was identified before the visit). */
  userId: string | null;
  /** The landing page view's recorded timestamp and messageId. */
  startedAt: string;
  messageId: string;
  intent: VisitIntent;
  landingUrl: string;
  referrer: string;
  channel: Channel;
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  content: string | null;
  clickIdParam: string | null;
  clickId: string | null;
}

export interface DeviceTruth {
  anonymousId: string;
  /** Identified with the userId on this device (sign-up or log-in). */
  linked: boolean;
  /** The anonymousId's own first touch (attribution for anonymous visitors). */
  firstTouch: VisitTruth;
}

export interface PersonTruth {
  person: number;
  userId: string | null;
  /** When the sign-up identify happened. */
  signedUpAt: string | null;
  devices: DeviceTruth[];
  /** Every visit of every device, in time order. */
  visits: VisitTruth[];
  /** The user's earliest touch over all linked devices, including visits before sign-up; null when the person never signed up. */
  firstTouch: VisitTruth | null;
  /** The user's latest touch over linked devices. */
  lastTouch: VisitTruth | null;
  /** The latest touch that is not Direct (falling back to the latest when all are Direct). */
  lastNonDirectTouch: VisitTruth | null;
}

/** Builds the truth from a plan and its visits' events (visitEvents(plan, i) for every i). */
export function personTruth(plan: PersonPlan, eventsByVisit: readonly (readonly SegmentEvent[])[]): PersonTruth {
  const visits: VisitTruth[] = plan.visits.map((visit, index) => {
    const landing = eventsByVisit[index]?.[0];
    if (!landing || landing.type !== 'page') throw new Error(`visit ${index} of person ${plan.person} does not start with a page view`);
    const device = plan.devices[visit.device];
    const { landing: source } = visit;
    return {
      person: plan.person,
      visit: index,
      anonymousId: device?.anonymousId ?? '',
      userId: landing.userId ?? null,
      startedAt: landing.timestamp ?? '',
      messageId: landing.messageId ?? '',
      intent: visit.intent,
      landingUrl: typeof landing.properties?.url === 'string' ? landing.properties.url : '',
      referrer: source.referrer,
      channel: source.channel,
      source: source.source,
      medium: source.medium,
      campaign: source.campaign,
      term: source.term,
      content: source.content,
      clickIdParam: source.clickIdParam,
      clickId: source.clickId,
    };
  });
  const signUp = eventsByVisit.flat().find((event) => event.type === 'identify' && event.userId && 'createdAt' in (event.traits ?? {}));
  const devices: DeviceTruth[] = plan.devices.map((device, index) => ({
    anonymousId: device.anonymousId,
    linked: plan.linkedDevices[index] ?? false,
    firstTouch: visits.find((visit) => visit.anonymousId === device.anonymousId) as VisitTruth,
  }));
  const linked = new Set(devices.filter((device) => device.linked).map((device) => device.anonymousId));
  const userVisits = plan.userId ? visits.filter((visit) => linked.has(visit.anonymousId)) : [];
  const lastTouch = userVisits[userVisits.length - 1] ?? null;
  return {
    person: plan.person,
    userId: plan.userId,
    signedUpAt: signUp?.timestamp ?? null,
    devices,
    visits,
    firstTouch: userVisits[0] ?? null,
    lastTouch,
    lastNonDirectTouch: [...userVisits].reverse().find((visit) => visit.channel !== 'Direct') ?? lastTouch,
  };
}
