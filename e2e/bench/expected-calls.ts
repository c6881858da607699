import { TOPICS, TOUCH_TYPE, touchSchema, userSourcesSchema, type Touch, type UserSources } from '@touchstream/contracts';
import { until } from '@touchstream/bench';
import { jsonDecoder, type KafkaRuntime } from '@touchstream/kafka';
import {
  decideIdentify,
  decideTrack,
  identifyMessageId,
  subjectKey,
  trackMessageId,
  traitsHash,
  userSourcesTraits,
  type DecisionSettings,
} from '@touchstream/segment-delivery';
import type { ReceivedRequest } from '@touchstream/testing';

/** The sink's defaults: the benchmark sets none of SINK_MODE, SINK_IDENTIFY_ANONYMOUS, TRACK_SINCE. */
const SINK_DEFAULTS: DecisionSettings = { mode: 'live', identifyAnonymous: true, trackSince: null };

/**
 * What the receiver must have once the sink has delivered everything, worked out from the facts
 * attribution published (read back from its topics after the run, with the sink's own decision
 * rules from libs/segment-delivery):
 * - one Source Identified track per touch whose newest revision is still a touch;
 * - per subject whose final fact is sendable (not cleared, not a visitor since linked to a user),
 *   an identify carrying the final traits. The sink skips a version whose traits equal the ones it
 *   last delivered, so any version with the final traits counts, as long as it is the last identify
 *   the subject received.
 */
export interface ExpectedCalls {
  tracks: Set<string>;
  /** Subject key -> messageIds of the versions whose traits are the final ones. */
  finalIdentifies: Map<string, Set<string>>;
  /** messageId of every version's identify -> its subject key. */
  identifySubject: Map<string, string>;
  read: { touchMessages: number; factMessages: number; touches: number; subjects: number };
}

interface SubjectVersions {
  final: UserSources['data'];
  hashes: Map<number, string>;
}

/** Reads both fact topics from the beginning with a throw-away group (libs/kafka's consumer, contract decoding). */
export async function expectedCalls(runtime: KafkaRuntime, groupId: string): Promise<ExpectedCalls> {
  const touchesTopic = runtime.topic(TOPICS.touches);
  const factsTopic = runtime.topic(TOPICS.userSources);
  const total = (await runtime.lag(groupId, [touchesTopic, factsTopic])).reduce((sum, partition) => sum + partition.lag, 0);
  const decodeTouch = jsonDecoder(touchSchema);
  const decodeFact = jsonDecoder(userSourcesSchema);
  const newestTouch = new Map<string, Touch['data']>();
  const subjects = new Map<string, SubjectVersions>();
  let touchMessages = 0;
  let factMessages = 0;
  const consumer = await runtime.startConsumer<Touch | UserSources>({
    groupId,
    topics: [touchesTopic, factsTopic],
    fromBeginning: true,
    decode: (value, topic) => (topic === touchesTopic ? decodeTouch(value) : decodeFact(value)),
    handle: (messages) => {
      for (const { value } of messages) {
        if (value.type === TOUCH_TYPE) {
          touchMessages += 1;
          const seen = newestTouch.get(value.data.touchId);
          if (!seen || value.data.revision > seen.revision) newestTouch.set(value.data.touchId, value.data);
          continue;
        }
        factMessages += 1;
        const fact = value.data;
        const key = subjectKey(fact.subjectType, fact.subjectId);
        const versions = subjects.get(key) ?? { final: fact, hashes: new Map<number, string>() };
        versions.hashes.set(fact.version, traitsHash(userSourcesTraits(fact)));
        if (fact.version >= versions.final.version) versions.final = fact;
        subjects.set(key, versions);
      }
      return Promise.resolve();
    },
  });
  try {
    await until(() => (touchMessages + factMessages >= total ? true : undefined), 30 * 60_000, 'the fact topics to be read', 500);
  } finally {
    await consumer.stop();
  }

  const tracks = new Set<string>();
  for (const touch of newestTouch.values()) {
    const named = touch.anonymousId !== null || touch.userId !== null;
    if (named && decideTrack(touch, false, SINK_DEFAULTS).send) tracks.add(trackMessageId(touch.touchId));
  }
  const finalIdentifies = new Map<string, Set<string>>();
  const identifySubject = new Map<string, string>();
  for (const [key, { final, hashes }] of subjects) {
    const finalHash = hashes.get(final.version) as string;
    const fresh = { storedVersion: 0, handledVersion: 0, handledTraitsHash: null };
    const sendable = decideIdentify(final, finalHash, fresh, SINK_DEFAULTS).send;
    const acceptable = new Set<string>();
    for (const [version, hash] of hashes) {
      const id = identifyMessageId(final.subjectType, final.subjectId, version);
      identifySubject.set(id, key);
      if (hash === finalHash) acceptable.add(id);
    }
    if (sendable) finalIdentifies.set(key, acceptable);
  }
  return {
    tracks,
    finalIdentifies,
    identifySubject,
    read: { touchMessages, factMessages, touches: newestTouch.size, subjects: subjects.size },
  };
}

export interface DeliveryCheck {
  expected: number;
  expectedTracks: number;
  expectedIdentifies: number;
  deliveredTracks: number;
  /** Subjects whose last identify at the receiver carries their final traits. */
  deliveredIdentifies: number;
  missingTracks: number;
  missingIdentifies: number;
  /** Accepted events, duplicates included, and distinct messageIds among them. */
  acceptedEvents: number;
  distinctMessageIds: number;
  /** Distinct identifies beyond each subject's final one: earlier versions, sent as they came because the sink runs live. */
  supersededIdentifies: number;
  /** Tracks of touches withdrawn after their track went out (late data; Segment keeps them). */
  extraTracks: number;
  /** Accepted identifies that match no fact at all (should be 0). */
  unknown: number;
  refusedRequests: number;
  /** Date.now() at the receiver when the last expected call arrived. */
  completedAt: number;
}

/** Checks the receiver's accepted requests against the expectation, by distinct messageId. */
export function checkDelivery(requests: readonly ReceivedRequest[], expected: ExpectedCalls): DeliveryCheck {
  const trackArrival = new Map<string, number>();
  const lastIdentify = new Map<string, { id: string; at: number }>();
  const distinct = new Set<string>();
  const extraTracks = new Set<string>();
  let acceptedEvents = 0;
  let unknown = 0;
  let refusedRequests = 0;
  for (const request of requests) {
    if (request.outcome !== 'accepted') {
      refusedRequests += 1;
      continue;
    }
    for (const event of request.events) {
      acceptedEvents += 1;
      const id = String(event.messageId);
      distinct.add(id);
      if (event.type === 'track' && expected.tracks.has(id)) {
        if (!trackArrival.has(id)) trackArrival.set(id, request.receivedAt);
        continue;
      }
      if (event.type === 'track') {
        extraTracks.add(id);
        continue;
      }
      const subject = expected.identifySubject.get(id);
      if (subject !== undefined) lastIdentify.set(subject, { id, at: request.receivedAt });
      else unknown += 1;
    }
  }
  let completedAt = 0;
  for (const at of trackArrival.values()) completedAt = Math.max(completedAt, at);
  let deliveredIdentifies = 0;
  for (const [subject, acceptable] of expected.finalIdentifies) {
    const last = lastIdentify.get(subject);
    if (!last || !acceptable.has(last.id)) continue;
    deliveredIdentifies += 1;
    completedAt = Math.max(completedAt, last.at);
  }
  const identifyIds = [...distinct].filter((id) => expected.identifySubject.has(id)).length;
  return {
    expected: expected.tracks.size + expected.finalIdentifies.size,
    expectedTracks: expected.tracks.size,
    expectedIdentifies: expected.finalIdentifies.size,
    deliveredTracks: trackArrival.size,
    deliveredIdentifies,
    missingTracks: expected.tracks.size - trackArrival.size,
    missingIdentifies: expected.finalIdentifies.size - deliveredIdentifies,
    acceptedEvents,
    distinctMessageIds: distinct.size,
    supersededIdentifies: identifyIds - deliveredIdentifies,
    extraTracks: extraTracks.size,
    unknown,
    refusedRequests,
    completedAt,
  };
}
