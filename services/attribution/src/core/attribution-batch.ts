import type { EntityManager } from 'typeorm';
import {
  AttributionLedger,
  NO_VIEWS,
  visitorKey,
  windowAround,
  windowSuffices,
  type ViewWindow,
  type VisitorRef,
  type AttributionSettings,
  type LedgerChange,
  type LedgerInput,
  type LinkState,
  type TouchState,
  type VisitorSnapshot,
} from '@touchstream/attribution-model';
import { appendToOutbox, type OutboxRow } from '@touchstream/database';
import type { AttributionStore, NewPageViewRow } from '../store/attribution-store';
import { touchRow, userSourcesRow, type FactContext, type TouchDetails } from './facts';
import type { AttributionMessage, Cause, ClassifiedPageView } from './messages';
import type { PageClassifier } from './page-classifier';

export interface BatchOutcome {
  pageViews: number;
  links: number;
  /** Facts written to the outbox. */
  touchesPublished: number;
  userSourcesPublished: number;
}

/** The steps of a batch, timed for the batch-phase metric. */
export type BatchPhase = 'load' | 'apply' | 'store' | 'outbox';

export interface BatchContext {
  settings: AttributionSettings;
  store: AttributionStore;
  classifier: PageClassifier;
  schema: string;
  topics: { touches: string; userSources: string };
  /** The clock, for envelope recordedAt only: nothing the facts say depends on it. */
  now: () => Date;
  /** Told how long each phase took (ms); for metrics. */
  observe?: (phase: BatchPhase, ms: number) => void;
  /** A replay is rebuilding the state: store the changes, publish nothing (docs/decisions/0009-replay.md). */
  holdFacts?: boolean;
}

interface BatchInput {
  input: LedgerInput;
  cause: Cause;
}

/**
 * One batch of consumed messages, applied inside the caller's transaction: lock and load what
 * the batch can change, run every message through the AttributionLedger in arrival order, and
 * write the changed state and the new facts (outbox) with batched statements.
 */
export async function applyAttributionBatch(
  batch: { partition: number; messages: readonly AttributionMessage[] },
  tx: EntityManager,
  context: BatchContext,
): Promise<BatchOutcome> {
  const { inputs, views } = inputsOf(batch.messages);
  const outcome: BatchOutcome = {
    pageViews: views.size,
    links: inputs.length - views.size,
    touchesPublished: 0,
    userSourcesPublished: 0,
  };
  if (inputs.length === 0) return outcome;
  const timer = phaseTimer(context);

  const visitors = await loadVisitors(batch.partition, inputs, tx, context);
  timer('load');
  // Written before the users' locks are taken: a page view is its visitor's, and the visitor's
  // partition lock is held. The users' locks serialise every slot whose batch shares a user
  // with this one, so what runs under them bounds the rate (docs/benchmarks-attribution.md, round 8).
  const newViews = await saveNewViews(inputs, visitors.seenMessageIds, views, tx, context);
  timer('store');
  const ledger = await lockAndLoadUsers(visitors, inputs, tx, context);
  timer('load');
  const published: Array<{ change: LedgerChange; cause: Cause }> = [];
  for (const { input, cause } of inputs) for (const change of ledger.apply(input)) published.push({ change, cause });
  timer('apply');
  if (ledger.newViews().length !== newViews) {
    throw new Error(`the ledger added ${ledger.newViews().length} page views, ${newViews} were stored for this batch`);
  }

  const details = await resolveDetails(published, ledger.changedTouches(), views, tx, context);
  const detailsOf = (touch: TouchState) => details.get(touch.touchId) as TouchDetails;
  await context.store.save(tx, {
    touches: ledger.changedTouches().map((touch) => ({ touch, details: detailsOf(touch) })),
    links: ledger.changedLinks(),
    subjects: ledger.changedSubjects(),
  });
  timer('store');
  if (context.holdFacts) return outcome;

  const factContext: FactContext = {
    touchesTopic: context.topics.touches,
    userSourcesTopic: context.topics.userSources,
    lastTouchModel: context.settings.lastTouchModel,
    recordedAt: context.now().toISOString(),
  };
  const rows: OutboxRow[] = published.map(({ change, cause }) =>
    change.kind === 'touch'
      ? touchRow(change.touch, detailsOf(change.touch), cause, factContext)
      : userSourcesRow(change.fact, detailsOf, cause, factContext),
  );
  await appendToOutbox(tx, context.schema, rows);
  timer('outbox');
  outcome.touchesPublished = published.filter(({ change }) => change.kind === 'touch').length;
  outcome.userSourcesPublished = published.length - outcome.touchesPublished;
  return outcome;
}

function inputsOf(messages: readonly AttributionMessage[]): { inputs: BatchInput[]; views: Map<string, ClassifiedPageView> } {
  const inputs: BatchInput[] = [];
  const views = new Map<string, ClassifiedPageView>();
  for (const message of messages) {
    switch (message.kind) {
      case 'page-view': {
        const { view } = message;
        if (views.has(view.messageId)) break;
        views.set(view.messageId, view);
        const fact = {
          messageId: view.messageId,
          at: view.at,
          internal: view.internal,
          signature: view.signature,
          channel: view.source.channel,
        };
        inputs.push({ input: { kind: 'page-view', visitor: view.visitor, view: fact }, cause: message.cause });
        break;
      }
      case 'link':
        inputs.push({ input: { kind: 'link', link: message.link }, cause: message.cause });
        break;
      case 'ignored':
        break;
      default: {
        const unknown: never = message;
        throw new Error(`unknown message ${JSON.stringify(unknown)}`);
      }
    }
  }
  return { inputs, views };
}

function phaseTimer(context: BatchContext): (phase: BatchPhase) => void {
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    context.observe?.(phase, now - last);
    last = now;
  };
}

/** The visitors' part of a batch's LedgerSnapshot, read under the partition lock. */
interface LoadedVisitors {
  visitors: VisitorSnapshot[];
  links: LinkState[];
  seenMessageIds: string[];
  keys: string[];
  anonymousIds: string[];
}

/**
 * Takes the partition lock and reads the batch's visitors. A visitor's views are read around the
 * batch's views only (windowAround), or, when its activity runs on past that window
 * (windowSuffices), all of them; a visitor with only links needs none.
 */
async function loadVisitors(
  partition: number,
  inputs: readonly BatchInput[],
  tx: EntityManager,
  context: BatchContext,
): Promise<LoadedVisitors> {
  const { store, settings } = context;
  const batchTimes = new Map<string, number[]>();
  const refs = new Map<string, VisitorRef>();
  const messageIds: string[] = [];
  for (const { input } of inputs) {
    if (input.kind === 'page-view') {
      const key = visitorKey(input.visitor);
      refs.set(key, input.visitor);
      const times = batchTimes.get(key);
      if (times) times.push(input.view.at);
      else batchTimes.set(key, [input.view.at]);
      messageIds.push(input.view.messageId);
    } else {
      const visitor: VisitorRef = { kind: 'anonymous', id: input.link.anonymousId };
      refs.set(visitorKey(visitor), visitor);
    }
  }
  const keys = [...refs.keys()];
  const windows = new Map<string, ViewWindow | null>(
    keys.map((key) => [key, batchTimes.has(key) ? windowAround(batchTimes.get(key) as number[], settings) : NO_VIEWS]),
  );
  const anonymousIds = keys.filter((key) => key.startsWith('a:')).map((key) => key.slice(2));
  await store.lockPartition(tx, partition);
  const loaded = await store.loadVisitors(
    tx,
    messageIds,
    keys.map((key) => ({ visitor: key, window: windows.get(key) ?? NO_VIEWS })),
    anonymousIds,
  );
  const widen = keys.filter((key) => {
    const times = batchTimes.get(key);
    return times !== undefined && !windowSuffices(loaded.views.get(key) ?? [], times, windows.get(key) ?? NO_VIEWS, settings);
  });
  if (widen.length > 0) {
    const whole = await store.loadViews(
      tx,
      widen.map((key) => ({ visitor: key, window: null })),
    );
    for (const key of widen) {
      loaded.views.set(key, whole.get(key) ?? []);
      windows.set(key, null);
    }
  }
  const visitors = keys.map((key) => ({
    visitor: refs.get(key) as VisitorRef,
    views: loaded.views.get(key) ?? [],
    window: windows.get(key) ?? null,
    touches: loaded.touches.get(key) ?? [],
  }));
  return { visitors, links: loaded.links, seenMessageIds: loaded.seenMessageIds, keys, anonymousIds };
}

/**
 * Stores the batch's page views that are not stored yet (the first of each messageId; the ones
 * the ledger will add), and says how many.
 */
async function saveNewViews(
  inputs: readonly BatchInput[],
  seenMessageIds: readonly string[],
  views: ReadonlyMap<string, ClassifiedPageView>,
  tx: EntityManager,
  context: BatchContext,
): Promise<number> {
  const seen = new Set(seenMessageIds);
  const rows: NewPageViewRow[] = [];
  for (const { input } of inputs) {
    if (input.kind !== 'page-view' || seen.has(input.view.messageId)) continue;
    const read = views.get(input.view.messageId) as ClassifiedPageView;
    rows.push({
      visitor: visitorKey(input.visitor),
      view: input.view,
      url: read.source.landingUrl ?? read.url,
      referrer: read.referrer,
      campaign: read.campaign,
    });
  }
  await context.store.saveViews(tx, rows);
  return rows.length;
}

/**
 * Takes the locks of the users the batch changes (usersChangedBy: about half of those its visitors
 * are linked to), in key order, and completes the LedgerSnapshot. Concurrent batches that share a
 * user wait for each other, so a user not locked is waiting saved.
 */
async function lockAndLoadUsers(
  loaded: LoadedVisitors,
  inputs: readonly BatchInput[],
  tx: EntityManager,
  context: BatchContext,
): Promise<AttributionLedger> {
  const { visitors, links, seenMessageIds, keys, anonymousIds } = loaded;
  const users = AttributionLedger.usersChangedBy(
    context.settings,
    { visitors, links, seenMessageIds },
    inputs.map(({ input }) => input),
  );
  await context.store.lockUsers(tx, users);
  const { userTouches, subjects } = await context.store.loadUsers(tx, users, keys, anonymousIds);
  return new AttributionLedger(context.settings, { visitors, links, users, userTouches, subjects, seenMessageIds });
}

/**
 * The url, referrer and classification of every touch a fact mentions: from the batch's own
 * page views, else from the stored touch, else (a stored view that became a touch now) from the
 * stored view, classified again.
 */
async function resolveDetails(
  published: ReadonlyArray<{ change: LedgerChange }>,
  changedTouches: readonly TouchState[],
  views: ReadonlyMap<string, ClassifiedPageView>,
  tx: EntityManager,
  context: BatchContext,
): Promise<Map<string, TouchDetails>> {
  const needed = new Map<string, TouchState>();
  for (const touch of changedTouches) needed.set(touch.touchId, touch);
  for (const { change } of published) {
    if (change.kind !== 'subject') continue;
    for (const touch of [change.fact.first, change.fact.last]) if (touch) needed.set(touch.touchId, touch);
  }
  const details = new Map<string, TouchDetails>();
  const missing: TouchState[] = [];
  for (const touch of needed.values()) {
    const view = views.get(touch.messageId);
    if (view) details.set(touch.touchId, { url: view.source.landingUrl ?? view.url, referrer: view.referrer, source: view.source });
    else missing.push(touch);
  }
  const stored = await context.store.touchDetails(
    tx,
    missing.map((touch) => touch.touchId),
  );
  const unclassified = missing.filter((touch) => !stored.has(touch.touchId));
  const storedViews = await context.store.viewDetails(
    tx,
    unclassified.map((touch) => touch.messageId),
  );
  for (const touch of missing) {
    const known = stored.get(touch.touchId);
    if (known) {
      details.set(touch.touchId, known);
      continue;
    }
    const view = storedViews.get(touch.messageId);
    if (!view) throw new Error('a touch has neither a stored touch nor a stored page view');
    const source = context.classifier.classify(view.url, view.referrer, view.campaign);
    details.set(touch.touchId, { url: view.url, referrer: view.referrer, source });
  }
  return details;
}
