/** What a replay asks of one consumer group, once its Kafka offsets are rewound. */
export interface ReplayPlan {
  /** Names this replay: the correlation and causation id of the facts it publishes. */
  id: string;
  from: 'earliest' | Date;
  /** Every partition of the group's topics: where the group was rewound to, and its end offset then. */
  partitions: Array<{ topic: string; partition: number; from: number; end: number }>;
}

/**
 * What a service exposes so a replay can re-read its topics (docs/decisions/0009-replay.md): its
 * consumer group and topics, how to stop and restart its consumers, and what to do with its
 * state once the group is rewound.
 */
export interface ReplayTarget {
  groupId: string;
  topics: () => string[];
  /** Stops the group's consumers in this process (Kafka only rewinds a group with no members). */
  pause: () => Promise<void>;
  /** Called with the group rewound and its consumers stopped: rebuild (earliest) or re-apply (timestamp). */
  rewind: (plan: ReplayPlan) => Promise<void>;
  resume: () => Promise<void>;
  /** Whether an earlier replay is still rebuilding (it holds back its facts until it has caught up). */
  rebuilding: () => Promise<boolean>;
}

export const REPLAY_TARGETS = Symbol('REPLAY_TARGETS');
