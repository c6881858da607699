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
  type LedgerInput,
  type LinkState,
  type SubjectFact,
  type TouchPass,
  type TouchState,
  type VisitorSnapshot,
} from '@touchstream/attribution-model';
import { appendToOutbox } from '@touchstream/database';
import type { AttributionStore } from '../store/attribution-store';
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
 * One batch of consumed messages, applied inside the caller's transaction, in two passes of the
 * AttributionLedger over the messages in arrival order: under the partition lock, the touch pass
 * (page views, touches, links and the touch facts); then, under the locks of the users it names,
 * the full pass (the subjects and their user-sources facts; it takes each input's touches from the
 * touch pass rather than deriving them again). Each writes its state and facts
 * (outbox) with batched statements. Touch facts precede the batch's user-sources facts in the
 * outbox; the order within each topic is the messages' order, as before.
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
  const ledgerInputs = inputs.map(({ input }) => input);
  const pass = AttributionLedger.touchPass(context.settings, visitors, ledgerInputs);
  timer('apply');
  // Everything a visitor's partition lock covers is written before the users' locks are taken:
  // the page views, and the touches and links the touch pass found (they follow from views and
  // links alone). The users' locks serialise every slot whose batch shares a user with this one,
  // so what runs under them bounds the rate (docs/benchmarks-attribution.md).
  await saveNewViews(pass, views, tx, context);
  const touchChanges = inputs.flatMap(({ cause }, index) => (pass.changes[index] ?? []).map((change) => ({ change, cause })));
  const details = new Map<string, TouchDetails>();
  await addDetails(details, pass.touches, views, tx, context);
  const detailsOf = (touch: TouchState) => details.get(touch.touchId) as TouchDetails;
  await context.store.save(tx, {
    touches: pass.touches.map((touch) => ({ touch, details: detailsOf(touch) })),
    links: pass.links,
    subjects: [],
  });
  timer('store');
  const factContext: FactContext = {
    touchesTopic: context.topics.touches,
    userSourcesTopic: context.topics.userSources,
    lastTouchModel: context.settings.lastTouchModel,
    recordedAt: context.now().toISOString(),
  };
  if (!context.holdFacts) {
    const rows = touchChanges.map(({ change, cause }) => touchRow(change.touch, detailsOf(change.touch), cause, factContext));
    await appendToOutbox(tx, context.schema, rows);
    outcome.touchesPublished = rows.length;
    timer('outbox');
  }

  const ledger = await lockAndLoadUsers(visitors, pass.users, tx, context);
  timer('load');
  const published: Array<{ fact: SubjectFact; cause: Cause }> = [];
  inputs.forEach(({ input, cause }, index) => {
    // The touch pass derived each input's touches; the full pass takes them and refreshes subjects.
    for (const change of ledger.applyAfterTouchPass(input, pass.changes[index] ?? [])) {
      if (change.kind === 'subject') published.push({ fact: change.fact, cause });
    }
  });
  timer('apply');
  if (ledger.changedTouches().length !== pass.touches.length) {
    throw new Error(`the full pass changed ${ledger.changedTouches().length} touches, the touch pass ${pass.touches.length}`);
  }
  await addDetails(details, touchesNamedBy(published), views, tx, context);
  await context.store.save(tx, { touches: [], links: [], subjects: ledger.changedSubjects() });
  timer('store');
  if (context.holdFacts) return outcome;
  const rows = published.map(({ fact, cause }) => userSourcesRow(fact, detailsOf, cause, factContext));
  await appendToOutbox(tx, context.schema, rows);
  timer('outbox');
  outcome.userSourcesPublished = rows.length;
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

/** Stores the page views the touch pass added (the first of each messageId not stored yet). */
async function saveNewViews(
  pass: TouchPass,
  views: ReadonlyMap<string, ClassifiedPageView>,
  tx: EntityManager,
  context: BatchContext,
): Promise<void> {
  const rows = pass.newViews.map(({ visitor, view }) => {
    const read = views.get(view.messageId) as ClassifiedPageView;
    return {
      visitor: visitorKey(visitor),
      view,
      url: read.source.landingUrl ?? read.url,
      referrer: read.referrer,
      campaign: read.campaign,
    };
  });
  await context.store.saveViews(tx, rows);
}

/**
 * Takes the locks of the users the batch refreshes (the touch pass's: about half of those its
 * visitors are linked to), in key order, and completes the LedgerSnapshot.
 */
async function lockAndLoadUsers(
  loaded: LoadedVisitors,
  users: readonly string[],
  tx: EntityManager,
  context: BatchContext,
): Promise<AttributionLedger> {
  const { visitors, links, seenMessageIds, keys, anonymousIds } = loaded;
  await context.store.lockUsers(tx, users);
  const { userTouches, subjects } = await context.store.loadUsers(tx, users, keys, anonymousIds);
  return new AttributionLedger(context.settings, { visitors, links, users, userTouches, subjects, seenMessageIds });
}

/**
 * Adds the url, referrer and classification of the touches not in `details` yet: from the batch's
 * own page views, else from the stored touch, else (a stored view that became a touch now) from
 * the stored view, classified again.
 */
async function addDetails(
  details: Map<string, TouchDetails>,
  touches: Iterable<TouchState>,
  views: ReadonlyMap<string, ClassifiedPageView>,
  tx: EntityManager,
  context: BatchContext,
): Promise<void> {
  const missing = new Map<string, TouchState>();
  for (const touch of touches) {
    if (details.has(touch.touchId)) continue;
    const view = views.get(touch.messageId);
    if (view) details.set(touch.touchId, { url: view.source.landingUrl ?? view.url, referrer: view.referrer, source: view.source });
    else missing.set(touch.touchId, touch);
  }
  if (missing.size === 0) return;
  const stored = await context.store.touchDetails(tx, [...missing.keys()]);
  const unclassified = [...missing.values()].filter((touch) => !stored.has(touch.touchId));
  const storedViews = await context.store.viewDetails(
    tx,
    unclassified.map((touch) => touch.messageId),
  );
  for (const touch of missing.values()) {
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
}

/** The touches the facts name (first and last). */
function* touchesNamedBy(facts: ReadonlyArray<{ fact: SubjectFact }>): Generator<TouchState> {
  for (const { fact } of facts) {
    if (fact.first) yield fact.first;
    if (fact.last) yield fact.last;
  }
}
