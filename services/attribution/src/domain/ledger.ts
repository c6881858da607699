import { ownerAt, sortLinks, type SubjectType } from '@touchstream/contracts';
import { firstAndLast } from './first-last';
import type {
  LedgerChange,
  LedgerInput,
  LedgerSnapshot,
  LinkState,
  SubjectFact,
  SubjectState,
  TouchState,
  VisitorSnapshot,
} from './ledger-types';
import { compareByTime, compareStrings, insertInTimeOrder, visitorKey, type PageViewFact, type VisitorRef } from './page-view';
import { detectTouches } from './sessions';
import { completeChains, inChains, type ViewWindow } from './windows';
import type { AttributionSettings } from './settings';

interface VisitorEntry {
  ref: VisitorRef;
  views: PageViewFact[];
  /** Null: the whole history is loaded. */
  window: ViewWindow | null;
  touches: Map<string, TouchState>;
}

type TouchChange = Extract<LedgerChange, { kind: 'touch' }>;

/** What AttributionLedger.touchPass found. */
export interface TouchPass {
  /** Per input, in order: the touch changes it makes. */
  changes: TouchChange[][];
  /** Final state of every touch that changed. */
  touches: TouchState[];
  links: LinkState[];
  /** Page views added (not duplicates), in the order they came: the ones to store. */
  newViews: ReadonlyArray<{ visitor: VisitorRef; view: PageViewFact }>;
  /** The users whose subjects the full pass refreshes, sorted. */
  users: string[];
}

const NO_ATTRIBUTION = 'none';
const LINKED = 'linked';

function subjectKey(type: SubjectType, id: string): string {
  return `${type === 'user' ? 'u' : 'a'}:${id}`;
}

/**
 * What a subject's fact says when it names no touch: linked to users (an anonymousId whose touches
 * are its users' now), or no attribution. `userIds` sorted (compareStrings).
 */
export function unattributedFingerprint(userIds: readonly string[]): string {
  return userIds.length > 0 ? `${LINKED}|${userIds.join(',')}` : NO_ATTRIBUTION;
}

function touchFingerprint(touch: TouchState): string {
  return `${touch.touchId}/${touch.sessionId}/${touch.userId ?? ''}`;
}

/**
 * The attribution state a batch can touch, held in memory while the batch's inputs are applied
 * one at a time, in arrival order. Each input is applied as if it came alone: every page view
 * re-derives its visitor's sessions and touches from the visitor's views (all of them, or, in
 * the chains wholly inside it, the window the caller loaded), every link re-derives its
 * anonymousId's touch owners, and every subject whose first or last touch then differs gets a
 * new version. So the changes depend on the order of the inputs only, never on
 * how they were cut into batches, and the state after any order of the same inputs is the same.
 * Pure: no I/O, no clock. The caller loads a LedgerSnapshot, applies, and stores the dirty state.
 */
export class AttributionLedger {
  private readonly visitors = new Map<string, VisitorEntry>();
  /** anonymousId -> links, sorted for the ownership rule. */
  private readonly links = new Map<string, LinkState[]>();
  private readonly users: ReadonlySet<string>;
  /** userId -> visitor keys (loaded) whose touches the user may own. */
  private readonly visitorsOfUser = new Map<string, Set<string>>();
  private readonly userTouches = new Map<string, TouchState[]>();
  private readonly subjects = new Map<string, SubjectState>();
  private readonly seen: Set<string>;
  private readonly dirtyTouches = new Map<string, TouchState>();
  private readonly dirtyLinks = new Map<string, LinkState>();
  private readonly dirtySubjects = new Set<string>();
  private readonly addedViews: Array<{ visitor: VisitorRef; view: PageViewFact }> = [];

  /**
   * Applies the inputs, in order, to the visitors' part of a snapshot, refreshing no subject: the
   * touch and link changes the full pass will make, and the users whose subjects it will refresh
   * (the users a batch must lock and load, and no others). A touch follows from its visitor's
   * views and links only, never from users or subjects, so this pass changes exactly the touches
   * the full one does, and a user's subject is refreshed only when a touch of one of its visitors
   * changes or a link to it is new: a batch of reloads by a linked visitor locks no user. What it
   * returns can be stored before the users' locks are taken (docs/benchmarks-attribution.md).
   */
  static touchPass(
    settings: AttributionSettings,
    snapshot: Pick<LedgerSnapshot, 'visitors' | 'links' | 'seenMessageIds'>,
    inputs: readonly LedgerInput[],
  ): TouchPass {
    const found = new Set<string>();
    const ledger = new AttributionLedger(settings, { ...snapshot, users: [], userTouches: [], subjects: [] });
    ledger.usersFound = found;
    const changes = inputs.map((input) => ledger.apply(input) as TouchChange[]);
    return {
      changes,
      touches: ledger.changedTouches(),
      links: ledger.changedLinks(),
      newViews: ledger.newViews(),
      users: [...found].sort(compareStrings),
    };
  }

  /** Set only by touchPass: refresh no subject, collect the users that would be refreshed. */
  private usersFound: Set<string> | null = null;

  constructor(
    private readonly settings: AttributionSettings,
    snapshot: LedgerSnapshot,
  ) {
    this.users = new Set(snapshot.users);
    this.seen = new Set(snapshot.seenMessageIds);
    for (const visitor of snapshot.visitors) this.loadVisitor(visitor);
    for (const link of snapshot.links) this.putLink({ ...link });
    for (const touch of snapshot.userTouches) {
      if (this.visitors.has(visitorKey(touch.visitor)) || touch.status !== 'recorded' || touch.userId === null) continue;
      const list = this.userTouches.get(touch.userId) ?? [];
      list.push(touch);
      this.userTouches.set(touch.userId, list);
    }
    for (const subject of snapshot.subjects) this.subjects.set(subjectKey(subject.type, subject.id), { ...subject });
  }

  apply(input: LedgerInput): LedgerChange[] {
    return this.applyWith(input, (visitor) => this.refreshTouches(visitor));
  }

  /**
   * Applies an input as apply() does, taking the touches it changes from a touch pass over the
   * same snapshot and inputs (`pass.changes[index]`) instead of deriving them again: the touch
   * pass derived exactly these (see touchPass), so only the subjects are left to refresh.
   */
  applyAfterTouchPass(input: LedgerInput, touchChanges: readonly TouchChange[]): LedgerChange[] {
    return this.applyWith(input, (visitor) => touchChanges.map((change) => this.storeTouch(visitor, { ...change.touch })));
  }

  private applyWith(input: LedgerInput, touchesOf: (visitor: VisitorEntry) => LedgerChange[]): LedgerChange[] {
    switch (input.kind) {
      case 'page-view':
        return this.addPageView(input.visitor, input.view, touchesOf);
      case 'link':
        return this.addLink(input.link, touchesOf);
      default: {
        const unknown: never = input;
        throw new Error(`unknown ledger input ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Page views added (not duplicates), in the order they came. */
  newViews(): ReadonlyArray<{ visitor: VisitorRef; view: PageViewFact }> {
    return this.addedViews;
  }

  /** Final state of every touch that changed. */
  changedTouches(): TouchState[] {
    return [...this.dirtyTouches.values()];
  }

  changedLinks(): LinkState[] {
    return [...this.dirtyLinks.values()];
  }

  changedSubjects(): SubjectState[] {
    return [...this.dirtySubjects].map((key) => this.subjects.get(key) as SubjectState);
  }

  private loadVisitor(snapshot: VisitorSnapshot): VisitorEntry {
    const key = visitorKey(snapshot.visitor);
    const views = [...snapshot.views];
    for (let i = 1; i < views.length; i++) {
      const previous = views[i - 1] as PageViewFact;
      const view = views[i] as PageViewFact;
      if (previous.at > view.at || (previous.at === view.at && previous.messageId > view.messageId)) {
        views.sort((a, b) => a.at - b.at || compareStrings(a.messageId, b.messageId));
        break;
      }
    }
    const entry: VisitorEntry = {
      ref: snapshot.visitor,
      views,
      window: snapshot.window ?? null,
      touches: new Map(snapshot.touches.map((touch) => [touch.touchId, { ...touch }])),
    };
    this.visitors.set(key, entry);
    for (const view of views) this.seen.add(view.messageId);
    if (snapshot.visitor.kind === 'user') this.relate(snapshot.visitor.id, key);
    return entry;
  }

  private visitor(ref: VisitorRef): VisitorEntry {
    const entry = this.visitors.get(visitorKey(ref));
    if (!entry) throw new Error(`visitor ${visitorKey(ref)} was not loaded for this batch`);
    return entry;
  }

  private relate(userId: string, visitorKeyOfUser: string): void {
    const set = this.visitorsOfUser.get(userId) ?? new Set<string>();
    set.add(visitorKeyOfUser);
    this.visitorsOfUser.set(userId, set);
  }

  private putLink(link: LinkState): void {
    const list = this.links.get(link.anonymousId) ?? [];
    const index = list.findIndex((existing) => existing.userId === link.userId);
    if (index >= 0) list[index] = link;
    else list.push(link);
    this.links.set(link.anonymousId, sortLinks(list));
    this.relate(link.userId, visitorKey({ kind: 'anonymous', id: link.anonymousId }));
  }

  private addPageView(ref: VisitorRef, view: PageViewFact, touchesOf: (visitor: VisitorEntry) => LedgerChange[]): LedgerChange[] {
    if (this.seen.has(view.messageId)) return [];
    this.seen.add(view.messageId);
    const visitor = this.visitor(ref);
    insertInTimeOrder(visitor.views, view);
    if (visitor.window && !inChains(completeChains(visitor.views, visitor.window, this.settings), view.at)) {
      throw new Error(`a page view of ${visitorKey(ref)} lies outside the part of its history loaded for this batch`);
    }
    this.addedViews.push({ visitor: ref, view });
    const touchChanges = touchesOf(visitor);
    if (touchChanges.length === 0) return [];
    return [...touchChanges, ...this.refreshSubjectsOf(visitor)];
  }

  private addLink(link: LinkState, touchesOf: (visitor: VisitorEntry) => LedgerChange[]): LedgerChange[] {
    const visitor = this.visitor({ kind: 'anonymous', id: link.anonymousId });
    const existing = this.links.get(link.anonymousId)?.find((known) => known.userId === link.userId);
    // A consumer keeps the earliest sighting of a pair (identity-links contract).
    if (existing && existing.firstSeenAt <= link.firstSeenAt) {
      if (link.revision > existing.revision) this.storeLink({ ...existing, revision: link.revision });
      return [];
    }
    // Only a new or earlier sighting refreshes the user, so only then must it be loaded.
    if (!this.usersFound && !this.users.has(link.userId)) throw new Error(`user of a link was not loaded for this batch`);
    this.storeLink({ ...link, revision: Math.max(link.revision, existing?.revision ?? 0) });
    return [...touchesOf(visitor), ...this.refreshSubjectsOf(visitor)];
  }

  private storeLink(link: LinkState): void {
    this.putLink(link);
    this.dirtyLinks.set(`${link.anonymousId}\u0000${link.userId}`, link);
  }

  /**
   * Re-derives a visitor's touches and owners; returns the touches that changed. With a window,
   * touches are derived only in the chains wholly inside it; the others keep their session and
   * status, and only their owner is re-derived (owners need times and links, not views).
   */
  private refreshTouches(visitor: VisitorEntry): LedgerChange[] {
    const links = visitor.ref.kind === 'anonymous' ? (this.links.get(visitor.ref.id) ?? []) : [];
    const ownerOf = (at: number) => (visitor.ref.kind === 'user' ? visitor.ref.id : ownerAt(links, at));
    const chains = visitor.window ? completeChains(visitor.views, visitor.window, this.settings) : null;
    const derived = (at: number) => chains === null || inChains(chains, at);
    const changes: LedgerChange[] = [];
    const wanted = new Set<string>();
    for (const detected of detectTouches(visitor.views, this.settings)) {
      if (!derived(detected.at)) continue;
      wanted.add(detected.touchId);
      const userId = ownerOf(detected.at);
      const current = visitor.touches.get(detected.touchId);
      if (current && current.status === 'recorded' && current.sessionId === detected.sessionId && current.userId === userId) continue;
      changes.push(
        this.storeTouch(visitor, {
          ...detected,
          visitor: visitor.ref,
          userId,
          status: 'recorded',
          revision: (current?.revision ?? 0) + 1,
        }),
      );
    }
    for (const current of visitor.touches.values()) {
      if (current.status !== 'recorded' || wanted.has(current.touchId)) continue;
      if (derived(current.at)) {
        changes.push(this.storeTouch(visitor, { ...current, status: 'withdrawn', revision: current.revision + 1 }));
        continue;
      }
      const userId = ownerOf(current.at);
      if (userId !== current.userId) changes.push(this.storeTouch(visitor, { ...current, userId, revision: current.revision + 1 }));
    }
    // One order, whatever was loaded: the touches' time order.
    return changes.sort((a, b) => compareByTime((a as TouchChange).touch, (b as TouchChange).touch));
  }

  private storeTouch(visitor: VisitorEntry, touch: TouchState): LedgerChange {
    visitor.touches.set(touch.touchId, touch);
    this.dirtyTouches.set(touch.touchId, touch);
    return { kind: 'touch', touch };
  }

  /** The visitor's own subject (an anonymousId) and every user it is or may be linked to. */
  private refreshSubjectsOf(visitor: VisitorEntry): LedgerChange[] {
    if (this.usersFound) {
      if (visitor.ref.kind === 'user') this.usersFound.add(visitor.ref.id);
      else for (const userId of this.userIdsOf(visitor.ref.id)) this.usersFound.add(userId);
      return [];
    }
    const changes: LedgerChange[] = [];
    const push = (fact: SubjectFact | null) => {
      if (fact) changes.push({ kind: 'subject', fact });
    };
    if (visitor.ref.kind === 'user') {
      push(this.refreshSubject('user', visitor.ref.id));
      return changes;
    }
    push(this.refreshSubject('anonymous', visitor.ref.id));
    for (const userId of this.userIdsOf(visitor.ref.id)) push(this.refreshSubject('user', userId));
    return changes;
  }

  private userIdsOf(anonymousId: string): string[] {
    return [...new Set((this.links.get(anonymousId) ?? []).map((link) => link.userId))].sort(compareStrings);
  }

  private touchesOf(type: SubjectType, id: string): TouchState[] {
    const recorded = (visitor: VisitorEntry | undefined, owner: string | null) =>
      [...(visitor?.touches.values() ?? [])].filter((touch) => touch.status === 'recorded' && (owner === null || touch.userId === owner));
    if (type === 'anonymous') return recorded(this.visitors.get(visitorKey({ kind: 'anonymous', id })), null);
    if (!this.users.has(id)) throw new Error('a user subject was not loaded for this batch');
    const touches = [...(this.userTouches.get(id) ?? [])];
    for (const key of this.visitorsOfUser.get(id) ?? []) touches.push(...recorded(this.visitors.get(key), id));
    return touches;
  }

  /**
   * Recomputes one subject's first and last touch; a new fact when they (or its users) changed.
   * An anonymousId has attribution of its own only while it is linked to no user: once linked,
   * its touches are its users' (their facts carry them), and its own fact is cleared, naming the
   * users. So the facts end the same whether the link came before or after the visits.
   */
  private refreshSubject(type: SubjectType, id: string): SubjectFact | null {
    const userIds = type === 'user' ? [id] : this.userIdsOf(id);
    const linkedVisitor = type === 'anonymous' && userIds.length > 0;
    const touches = linkedVisitor ? [] : this.touchesOf(type, id);
    const chosen = firstAndLast(touches, this.settings);
    const fingerprint = chosen
      ? [touchFingerprint(chosen.first), touchFingerprint(chosen.last), this.settings.lastTouchModel, userIds.join(',')].join('|')
      : unattributedFingerprint(linkedVisitor ? userIds : []);
    const key = subjectKey(type, id);
    const state = this.subjects.get(key) ?? {
      type,
      id,
      version: 0,
      fingerprint: null,
      firstTouchId: null,
      lastTouchId: null,
      touchCount: 0,
    };
    if (state.fingerprint === fingerprint || (chosen === null && state.version === 0)) return null;
    const next: SubjectState = {
      type,
      id,
      version: state.version + 1,
      fingerprint,
      firstTouchId: chosen?.first.touchId ?? null,
      lastTouchId: chosen?.last.touchId ?? null,
      touchCount: touches.length,
    };
    this.subjects.set(key, next);
    this.dirtySubjects.add(key);
    return {
      type,
      id,
      version: next.version,
      first: chosen?.first ?? null,
      last: chosen?.last ?? null,
      touchCount: touches.length,
      userIds,
    };
  }
}
