import { Inject, Injectable } from '@nestjs/common';
import type { Touch, UserSources } from '@touchstream/contracts';
import { valueText, type ConsumedMessage } from '@touchstream/kafka';
import {
  decideTrack,
  newestPerSubject,
  newestRevisions,
  subjectKey,
  type DecisionSettings,
  type IdentifyDecision,
  type IdentifyFact,
  type SubjectState,
} from '@touchstream/segment-delivery';
import { SINK_SETTINGS, type SinkSettings } from '../config';
import { CallBuilder, type BuiltCall } from '../domain/call-builder';
import type { DeliveryItem, DeliveryReport, EventOrigin } from '../domain/delivery-item';
import { Dispatcher } from '../delivery/dispatcher';
import { SinkMetrics } from '../delivery/sink.metrics';
import { MarkWriter } from './mark-writer';
import { SinkStore, type IdentifyHandling, type IdentifyMarkRow } from './sink.store';

/** Skips recorded as handled, so the backfill flush and a redelivery do not look at them again. */
const RECORDED_SKIPS = new Set<string>(['unchanged', 'cleared', 'anonymous-identified', 'anonymous-disabled']);

export type IdentifyDecider = (fact: IdentifyFact, traitsHash: string, state: SubjectState, settings: DecisionSettings) => IdentifyDecision;

/** A fact and where it came from. */
export interface SourcedFact {
  fact: UserSources;
  origin: EventOrigin;
}

export function originOf(message: ConsumedMessage<{ id: string }>): EventOrigin {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    headers: message.headers,
    value: () => valueText(message),
  };
}

/**
 * What the sink does with a consumer batch: keep the newest fact per subject in Postgres (and look
 * up which touches were tracked already), decide which become calls (lib decisions), dead-letter
 * what cannot be sent, and hand the rest to the dispatcher. Resolves only when Segment answered 2xx
 * for every call, or it was dead-lettered: only then may the offsets be committed.
 */
@Injectable()
export class StreamHandler {
  private readonly decisions: DecisionSettings;
  /** How long a consumer batch waits for Segment (settings.deliveryBudgetMs). */
  private readonly budgetMs: number;

  constructor(
    @Inject(SinkStore) private readonly store: SinkStore,
    @Inject(MarkWriter) private readonly marks: MarkWriter,
    @Inject(CallBuilder) private readonly builder: CallBuilder,
    @Inject(Dispatcher) private readonly dispatcher: Dispatcher,
    @Inject(SinkMetrics) private readonly metrics: SinkMetrics,
    @Inject(SINK_SETTINGS) settings: Pick<SinkSettings, 'decisions' | 'deliveryBudgetMs'>,
  ) {
    this.decisions = settings.decisions;
    this.budgetMs = settings.deliveryBudgetMs;
  }

  async handleFacts(messages: readonly ConsumedMessage<UserSources>[], decide: IdentifyDecider): Promise<DeliveryReport> {
    const keyed = messages.map((message) => ({ ...message.value.data, message }));
    const { newest, superseded } = newestPerSubject(keyed);
    if (superseded > 0) this.metrics.skippedEvents('identify', 'superseded-in-window', superseded);
    const states = await this.store.factStates(newest);
    // Stored while Segment is called: the decision needed only what was there before.
    const stored = this.store.storeFacts(newest.map(({ message }) => ({ fact: message.value, raw: message.raw })));
    this.marks.afterStored(stored);
    const [report] = await Promise.all([
      this.identify(
        newest.map(({ message }) => ({ fact: message.value, origin: originOf(message) })),
        states,
        decide,
        this.budgetMs,
      ),
      stored,
    ]);
    return report;
  }

  /** Decides, marks the skips, dead-letters the unsendable and delivers the rest of these facts. */
  async identify(
    facts: readonly SourcedFact[],
    states: ReadonlyMap<string, SubjectState>,
    decide: IdentifyDecider,
    budgetMs?: number,
  ): Promise<DeliveryReport> {
    const skips: IdentifyMarkRow[] = [];
    const built: BuiltCall[] = [];
    for (const { fact, origin } of facts) {
      const { subjectType, subjectId, version } = fact.data;
      const state = states.get(subjectKey(subjectType, subjectId)) ?? {
        storedVersion: version,
        handledVersion: 0,
        handledTraitsHash: null,
      };
      const call = this.builder.identify(fact, origin);
      const decision = decide(fact.data, call.traitsHash, state, this.decisions);
      if (decision.send) {
        built.push(call.built);
        continue;
      }
      this.metrics.skippedEvents('identify', decision.reason);
      if (RECORDED_SKIPS.has(decision.reason))
        skips.push({ subjectType, subjectId, version, traitsHash: null, outcome: decision.reason as IdentifyHandling });
    }
    this.marks.identified(skips);
    return this.deliver(built, budgetMs);
  }

  async handleTouches(messages: readonly ConsumedMessage<Touch>[]): Promise<DeliveryReport> {
    const keyed = messages.map((message) => ({ touchId: message.value.data.touchId, revision: message.value.data.revision, message }));
    const { newest, superseded } = newestRevisions(keyed);
    if (superseded > 0) this.metrics.skippedEvents('track', 'superseded-in-window', superseded);
    const tracked = await this.store.trackedAmong(newest.map(({ touchId }) => touchId));
    const built: BuiltCall[] = [];
    for (const { message } of newest) {
      const touch = message.value;
      const decision = decideTrack(touch.data, tracked.has(touch.data.touchId), this.decisions);
      if (!decision.send) {
        this.metrics.skippedEvents('track', decision.reason);
        continue;
      }
      built.push(this.builder.track(touch, originOf(message)));
    }
    return this.deliver(built, this.budgetMs);
  }

  /** Dead-letters what cannot be sent, then waits for Segment to take the rest. */
  async deliver(built: readonly BuiltCall[], budgetMs?: number): Promise<DeliveryReport> {
    const items: DeliveryItem[] = [];
    let deadLettered = 0;
    for (const call of built) {
      if (!call.sendable) {
        await this.dispatcher.reject(call.item, call.reason);
        deadLettered += 1;
        continue;
      }
      if (call.trimmed.length > 0) this.metrics.trimmed(call.item.call);
      items.push(call.item);
    }
    const report = items.length > 0 ? await this.dispatcher.submit(items, budgetMs) : { delivered: 0, deadLettered: 0, coalesced: 0 };
    return { ...report, deadLettered: report.deadLettered + deadLettered };
  }
}
