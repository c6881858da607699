import { AttributionLedger } from '../domain/ledger';
import type { LedgerChange, LedgerInput, LedgerSnapshot, LinkState, SubjectFact, SubjectState, TouchState } from '../domain/ledger-types';
import { visitorKey, type PageViewFact, type VisitorRef } from '../domain/page-view';
import type { AttributionSettings } from '../domain/settings';
import { NO_VIEWS, windowAround, windowSuffices, type ViewWindow } from '../domain/windows';

/**
 * The whole attribution state in memory, fed batch by batch through the same AttributionLedger
 * and the same snapshot rules as the service's Postgres store. Test code only (src/testing/ is left out of the build): the reference for what the
 * service must publish (tests, benchmark checks) and a model of the store in property tests.
 */
export class MemoryAttribution {
  private readonly visitors = new Map<string, { ref: VisitorRef; views: PageViewFact[] }>();
  private readonly touches = new Map<string, TouchState>();
  private readonly links = new Map<string, LinkState>();
  private readonly subjects = new Map<string, SubjectState>();
  private readonly facts = new Map<string, SubjectFact>();

  /**
   * `windowed`: load each visitor's views the way the service does (windowAround, whole history
   * only when needed). `everyLinkedUser`: load every user the batch's visitors and links name,
   * rather than only those the batch refreshes (touchPass, as the service does).
   */
  constructor(
    private readonly settings: AttributionSettings,
    private readonly options: { windowed?: boolean; everyLinkedUser?: boolean } = {},
  ) {}

  /** Applies inputs as one batch; returns the changes in publication order. */
  applyBatch(inputs: readonly LedgerInput[]): LedgerChange[] {
    const ledger = new AttributionLedger(this.settings, this.snapshotFor(inputs));
    const changes = inputs.flatMap((input) => ledger.apply(input));
    for (const { visitor, view } of ledger.newViews()) {
      const key = visitorKey(visitor);
      const entry = this.visitors.get(key) ?? { ref: visitor, views: [] };
      entry.views.push(view);
      this.visitors.set(key, entry);
    }
    for (const touch of ledger.changedTouches()) this.touches.set(touch.touchId, touch);
    for (const link of ledger.changedLinks()) this.links.set(`${link.anonymousId}\u0000${link.userId}`, link);
    for (const subject of ledger.changedSubjects()) this.subjects.set(`${subject.type}:${subject.id}`, subject);
    for (const change of changes) if (change.kind === 'subject') this.facts.set(`${change.fact.type}:${change.fact.id}`, change.fact);
    return changes;
  }

  /** Every touch's latest state, withdrawn ones included. */
  allTouches(): TouchState[] {
    return [...this.touches.values()];
  }

  /** The latest published fact per subject ("type:id"). */
  latestFacts(): ReadonlyMap<string, SubjectFact> {
    return this.facts;
  }

  private viewsOf(key: string, batchTimes: readonly number[]): { views: PageViewFact[]; window: ViewWindow | null } {
    const all = this.visitors.get(key)?.views ?? [];
    if (!this.options.windowed) return { views: all, window: null };
    if (batchTimes.length === 0) return { views: [], window: NO_VIEWS };
    const window = windowAround(batchTimes, this.settings);
    const views = all.filter((view) => view.at >= window.from && view.at <= window.to);
    return windowSuffices(views, batchTimes, window, this.settings) ? { views, window } : { views: all, window: null };
  }

  /** The snapshot a batch of these inputs loads from the current state (the service's rules). */
  snapshotFor(inputs: readonly LedgerInput[]): LedgerSnapshot {
    const refs = new Map<string, VisitorRef>();
    const batchUsers = new Set<string>();
    const batchIds = new Set<string>();
    const batchTimes = new Map<string, number[]>();
    for (const input of inputs) {
      if (input.kind === 'page-view') {
        refs.set(visitorKey(input.visitor), input.visitor);
        batchIds.add(input.view.messageId);
        batchTimes.set(visitorKey(input.visitor), [...(batchTimes.get(visitorKey(input.visitor)) ?? []), input.view.at]);
      } else {
        refs.set(visitorKey({ kind: 'anonymous', id: input.link.anonymousId }), { kind: 'anonymous', id: input.link.anonymousId });
        batchUsers.add(input.link.userId);
      }
    }
    const loaded = new Set(refs.keys());
    const anonymousIds = new Set([...refs.values()].filter((ref) => ref.kind === 'anonymous').map((ref) => ref.id));
    const links = [...this.links.values()].filter((link) => anonymousIds.has(link.anonymousId));
    const allViewIds = new Set([...this.visitors.values()].flatMap((entry) => entry.views.map((view) => view.messageId)));
    const visitors = [...refs.values()].map((ref) => ({
      visitor: ref,
      ...this.viewsOf(visitorKey(ref), batchTimes.get(visitorKey(ref)) ?? []),
      touches: [...this.touches.values()].filter((touch) => visitorKey(touch.visitor) === visitorKey(ref)),
    }));
    const seenMessageIds = [...batchIds].filter((id) => allViewIds.has(id));
    let users: Set<string>;
    if (this.options.everyLinkedUser) {
      users = new Set([...batchUsers, ...links.map((link) => link.userId)]);
      for (const ref of refs.values()) if (ref.kind === 'user') users.add(ref.id);
    } else {
      users = new Set(AttributionLedger.touchPass(this.settings, { visitors, links, seenMessageIds }, inputs).users);
    }
    return {
      visitors,
      links,
      users: [...users],
      userTouches: [...this.touches.values()].filter(
        (touch) =>
          touch.status === 'recorded' && touch.userId !== null && users.has(touch.userId) && !loaded.has(visitorKey(touch.visitor)),
      ),
      subjects: [...this.subjects.values()].filter((subject) =>
        subject.type === 'user' ? users.has(subject.id) : anonymousIds.has(subject.id),
      ),
      seenMessageIds,
    };
  }
}
