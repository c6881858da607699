import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { touchIdOf, type Channel } from '@touchstream/contracts';
import { AttributionLedger } from './ledger';
import type { LedgerChange, LedgerInput, SubjectFact, TouchState } from './ledger-types';
import { MemoryAttribution } from '../testing/memory-attribution';
import { visitorKey, type PageViewFact, type VisitorRef } from './page-view';
import { DAY_MS, DEFAULT_SETTINGS, MINUTE_MS } from './settings';

const T0 = Date.parse('2026-02-01T08:00:00.000Z');
const anonymous = (id: string): VisitorRef => ({ kind: 'anonymous', id });
const userOnly = (id: string): VisitorRef => ({ kind: 'user', id });

function pageView(
  visitor: VisitorRef,
  messageId: string,
  minutes: number,
  channel: Channel | null,
  signature: string | null = null,
): LedgerInput {
  const view: PageViewFact = { messageId, at: T0 + minutes * MINUTE_MS, internal: channel === null, signature, channel };
  return { kind: 'page-view', visitor, view };
}
function link(anonymousId: string, userId: string, minutes: number, revision = 1): LedgerInput {
  return { kind: 'link', link: { anonymousId, userId, firstSeenAt: T0 + minutes * MINUTE_MS, revision } };
}
const days = (n: number) => (n * DAY_MS) / MINUTE_MS;

const facts = (changes: LedgerChange[]) => changes.flatMap((change) => (change.kind === 'subject' ? [change.fact] : []));
const touches = (changes: LedgerChange[]) => changes.flatMap((change) => (change.kind === 'touch' ? [change.touch] : []));
const summary = (fact: SubjectFact | undefined) =>
  fact && { version: fact.version, first: fact.first?.messageId ?? null, last: fact.last?.messageId ?? null, userIds: fact.userIds };

describe('attribution ledger: the defects of the reference build', () => {
  it("takes a multi-device user's first touch over all linked anonymousIds, not one", () => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    memory.applyBatch([
      pageView(anonymous('laptop'), 'laptop-1', 0, 'Organic Search'),
      pageView(anonymous('phone'), 'phone-1', days(3), 'Paid Social', 'facebook|cpc|spring'),
      link('phone', 'u1', days(3) + 5),
      link('laptop', 'u1', days(4)),
    ]);
    expect(summary(memory.latestFacts().get('user:u1'))).toMatchObject({ first: 'laptop-1', last: 'phone-1', userIds: ['u1'] });
    // Once linked, a visitor's touches are the user's: its own fact is cleared, naming the user.
    expect(summary(memory.latestFacts().get('anonymous:laptop'))).toMatchObject({ first: null, last: null, userIds: ['u1'] });
  });

  it("moves the user's first touch to the earliest anonymous visit when the identify arrives late", () => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    memory.applyBatch([link('d2', 'u1', days(20)), pageView(anonymous('d2'), 'signup-visit', days(20) - 3, 'Email', 'news|email')]);
    expect(summary(memory.latestFacts().get('user:u1'))).toEqual({
      version: 1,
      first: 'signup-visit',
      last: 'signup-visit',
      userIds: ['u1'],
    });
    // Weeks of anonymous browsing on another device, then that device identifies as the same user.
    memory.applyBatch([
      pageView(anonymous('d1'), 'blog-visit', 0, 'Organic Search'),
      pageView(anonymous('d1'), 'ad-visit', days(2), 'Paid Search', 'google|cpc'),
    ]);
    expect(summary(memory.latestFacts().get('user:u1'))?.first).toBe('signup-visit');
    const changes = memory.applyBatch([link('d1', 'u1', days(25))]);
    expect(summary(memory.latestFacts().get('user:u1'))).toEqual({
      version: 2,
      first: 'blog-visit',
      last: 'signup-visit',
      userIds: ['u1'],
    });
    // The anonymous touches now belong to u1: republished as revision 2 with the userId.
    expect(touches(changes).map((touch) => [touch.messageId, touch.userId, touch.revision])).toEqual([
      ['blog-visit', 'u1', 2],
      ['ad-visit', 'u1', 2],
    ]);
  });

  it('does not let a bookmark visit (Direct) replace the last non-direct touch, unless configured to', () => {
    const inputs = [
      pageView(anonymous('a'), 'ad', 0, 'Paid Search', 'google|cpc'),
      pageView(anonymous('a'), 'bookmark', days(10), 'Direct'),
    ];
    const lastNonDirect = new MemoryAttribution(DEFAULT_SETTINGS);
    lastNonDirect.applyBatch(inputs);
    expect(summary(lastNonDirect.latestFacts().get('anonymous:a'))).toMatchObject({ version: 1, first: 'ad', last: 'ad' });
    const plainLast = new MemoryAttribution({ ...DEFAULT_SETTINGS, lastTouchModel: 'last-touch' });
    plainLast.applyBatch(inputs);
    expect(summary(plainLast.latestFacts().get('anonymous:a'))).toMatchObject({ version: 2, first: 'ad', last: 'bookmark' });
  });

  it("gives a userId-only event's touch to that user", () => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    const changes = memory.applyBatch([pageView(userOnly('u9'), 'server-page', 0, 'Referral')]);
    expect(touches(changes)[0]).toMatchObject({ userId: 'u9', visitor: userOnly('u9') });
    expect(summary(memory.latestFacts().get('user:u9'))).toMatchObject({ first: 'server-page' });
  });
});

describe('attribution ledger: late data', () => {
  it('withdraws a published touch when an earlier internal view of the same session arrives, and clears the visitor', () => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    memory.applyBatch([pageView(anonymous('a'), 'from-google', 5, 'Organic Search')]);
    const changes = memory.applyBatch([pageView(anonymous('a'), 'tab-resumed', 0, null)]);
    expect(touches(changes)).toEqual([expect.objectContaining({ touchId: touchIdOf('from-google'), status: 'withdrawn', revision: 2 })]);
    expect(facts(changes)).toEqual([
      expect.objectContaining({ type: 'anonymous', id: 'a', version: 2, first: null, last: null, touchCount: 0 }),
    ]);
  });

  it('moves a touch into the session an earlier view opens (new revision, new sessionId)', () => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    memory.applyBatch([pageView(anonymous('a'), 'email', 10, 'Email', 'news|email')]);
    const changes = memory.applyBatch([pageView(anonymous('a'), 'search', 0, 'Organic Search')]);
    const [search, email] = [...touches(changes)].sort((x, y) => x.at - y.at);
    expect(search).toMatchObject({ messageId: 'search', revision: 1 });
    expect(email).toMatchObject({ messageId: 'email', revision: 2, sessionId: search?.sessionId });
  });

  it("splits a shared computer's touches by link time: before the first link to the first user", () => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    memory.applyBatch([
      pageView(anonymous('kiosk'), 'k1', 0, 'Organic Search'),
      pageView(anonymous('kiosk'), 'k2', days(2), 'Email', 'news|email'),
      link('kiosk', 'bob', days(1)),
      link('kiosk', 'alice', days(0) + 10),
    ]);
    expect(summary(memory.latestFacts().get('user:alice'))).toMatchObject({ first: 'k1', last: 'k1' });
    expect(summary(memory.latestFacts().get('user:bob'))).toMatchObject({ first: 'k2', last: 'k2' });
    expect(summary(memory.latestFacts().get('anonymous:kiosk'))).toMatchObject({ first: null, userIds: ['alice', 'bob'] });
  });

  it('changes nothing for a duplicate page view or a link sighting later than the one known', () => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    memory.applyBatch([pageView(anonymous('a'), 'm1', 0, 'Referral'), link('a', 'u1', 5)]);
    expect(memory.applyBatch([pageView(anonymous('a'), 'm1', 0, 'Referral'), link('a', 'u1', 50, 2)])).toEqual([]);
    expect(memory.applyBatch([pageView(anonymous('b'), 'm1', 0, 'Referral')])).toEqual([]);
  });
});

// ---- properties over random histories ----

const ANONYMOUS_IDS = ['a0', 'a1', 'a2', 'a3'];
const USER_IDS = ['u0', 'u1', 'u2'];
const KINDS = ['organic', 'direct', 'internal', 'tagged-a', 'tagged-b'] as const;

const inputArbitrary: fc.Arbitrary<LedgerInput> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        visitor: fc.oneof(fc.constantFrom(...ANONYMOUS_IDS).map(anonymous), fc.constantFrom(...USER_IDS).map(userOnly)),
        minute: fc.integer({ min: 0, max: days(120) }),
        kind: fc.constantFrom(...KINDS),
      })
      .map(({ visitor, minute, kind }) => {
        // Bunch views into a few visits so sessions, reloads and mid-session campaigns happen.
        const at = Math.floor(minute / 600) * 600 + (minute % 45);
        // The same messageId always carries the same event: a repeat is a true duplicate.
        const messageId = `${visitorKey(visitor)}#${at}#${kind}`;
        switch (kind) {
          case 'organic':
            return pageView(visitor, messageId, at, 'Organic Search');
          case 'direct':
            return pageView(visitor, messageId, at, 'Direct');
          case 'internal':
            return pageView(visitor, messageId, at, null);
          case 'tagged-a':
            return pageView(visitor, messageId, at, 'Paid Search', 'google|cpc|a');
          case 'tagged-b':
            return pageView(visitor, messageId, at, 'Email', 'news|email|b');
        }
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        anonymousId: fc.constantFrom(...ANONYMOUS_IDS),
        userId: fc.constantFrom(...USER_IDS),
        minute: fc.integer({ min: 0, max: days(120) }),
      })
      .map(({ anonymousId, userId, minute }) => link(anonymousId, userId, minute)),
  },
);

/** What must not depend on arrival order: recorded touches with session and owner, and each subject's latest fact. */
function finalState(memory: MemoryAttribution) {
  const touchView = (touch: TouchState) => ({ touchId: touch.touchId, sessionId: touch.sessionId, userId: touch.userId });
  const recorded = memory
    .allTouches()
    .filter((touch) => touch.status === 'recorded')
    .map((touch) => ({ ...touchView(touch), visitor: visitorKey(touch.visitor) }))
    .sort((a, b) => (a.touchId < b.touchId ? -1 : 1));
  const subjects = [...memory.latestFacts()]
    .filter(([, fact]) => fact.first !== null) // a cleared fact says the same as no fact
    .map(([key, fact]) => ({
      key,
      first: fact.first && touchView(fact.first),
      last: fact.last && touchView(fact.last),
      userIds: fact.userIds,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  return { recorded, subjects };
}

function run(inputs: readonly LedgerInput[], batchSizes: readonly number[] = [inputs.length], windowed = false, everyLinkedUser = false) {
  const memory = new MemoryAttribution(DEFAULT_SETTINGS, { windowed, everyLinkedUser });
  const changes: LedgerChange[] = [];
  let offset = 0;
  for (let i = 0; offset < inputs.length; i++) {
    const size = Math.max(1, batchSizes[i % batchSizes.length] ?? 1);
    changes.push(...memory.applyBatch(inputs.slice(offset, offset + size)));
    offset += size;
  }
  return { memory, changes };
}

function byTime(inputs: readonly LedgerInput[]): LedgerInput[] {
  const time = (input: LedgerInput) => (input.kind === 'link' ? input.link.firstSeenAt : input.view.at);
  return [...inputs].sort((a, b) => time(a) - time(b));
}

describe('attribution ledger: the users a batch changes', () => {
  const snapshotOf = (memoryInputs: LedgerInput[], batch: LedgerInput[]) => {
    // The stored state after memoryInputs, as the visitors' part of the batch's snapshot.
    const memory = new MemoryAttribution(DEFAULT_SETTINGS);
    memory.applyBatch(memoryInputs);
    const visitors = new Map<string, TouchState[]>();
    for (const touch of memory.allTouches())
      visitors.set(visitorKey(touch.visitor), [...(visitors.get(visitorKey(touch.visitor)) ?? []), touch]);
    const views = memoryInputs.flatMap((input) => (input.kind === 'page-view' ? [input] : []));
    return {
      visitors: [anonymous('laptop'), anonymous('phone')].map((ref) => ({
        visitor: ref,
        views: views.filter((input) => visitorKey(input.visitor) === visitorKey(ref)).map((input) => input.view),
        touches: visitors.get(visitorKey(ref)) ?? [],
      })),
      links: memoryInputs.flatMap((input) => (input.kind === 'link' ? [input.link] : [])),
      seenMessageIds: batch.flatMap((input) =>
        input.kind === 'page-view' && views.some((view) => view.view.messageId === input.view.messageId) ? [input.view.messageId] : [],
      ),
    };
  };
  const history = [
    pageView(anonymous('laptop'), 'laptop-1', 0, 'Organic Search'),
    link('laptop', 'u1', 5),
    pageView(anonymous('phone'), 'phone-1', days(1), 'Paid Social', 'facebook|cpc|spring'),
    link('phone', 'u2', days(1) + 5),
  ];

  it('names no user for page views that open no touch (a reload, internal navigation, a duplicate)', () => {
    const batch = [
      pageView(anonymous('laptop'), 'laptop-2', 2, 'Organic Search'),
      pageView(anonymous('laptop'), 'laptop-3', 3, null),
      pageView(anonymous('phone'), 'phone-1', days(1), 'Paid Social', 'facebook|cpc|spring'),
    ];
    expect(AttributionLedger.touchPass(DEFAULT_SETTINGS, snapshotOf(history, batch), batch).users).toEqual([]);
  });

  it("names every user of a visitor whose touches change, and a new link's user", () => {
    const batch = [pageView(anonymous('laptop'), 'laptop-later', days(3), 'Email', 'news|email'), link('phone', 'u3', days(2))];
    expect(AttributionLedger.touchPass(DEFAULT_SETTINGS, snapshotOf(history, batch), batch).users).toEqual(['u1', 'u2', 'u3']);
  });
});

describe('attribution ledger: properties', () => {
  const history = fc.array(inputArbitrary, { minLength: 1, maxLength: 60 });
  /** The snapshot a batch loads after `before` was applied, as the service would load it. */
  const snapshotAfter = (before: LedgerInput[], batch: LedgerInput[], windowed: boolean) => {
    const memory = new MemoryAttribution(DEFAULT_SETTINGS, { windowed });
    memory.applyBatch(before);
    return memory.snapshotFor(batch);
  };

  it('reaches the same touches and the same latest facts whatever order page views and links arrive in', () => {
    fc.assert(
      fc.property(
        history,
        fc.func(fc.integer()),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 }),
        (inputs, key, sizes) => {
          const shuffled = inputs
            .map((input, index) => ({ input, rank: key(index) }))
            .sort((a, b) => a.rank - b.rank)
            .map((entry) => entry.input);
          expect(finalState(run(shuffled, sizes).memory)).toEqual(finalState(run(byTime(inputs)).memory));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('publishes the same changes for the same input order, however the inputs are cut into batches', () => {
    fc.assert(
      fc.property(history, fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }), (inputs, sizes) => {
        expect(run(inputs, sizes).changes).toEqual(run(inputs, [1]).changes);
      }),
      { numRuns: 200 },
    );
  });

  it("publishes the same changes when each batch loads only a window of its visitors' histories", { timeout: 60_000 }, () => {
    // Sparse visits (the window leaves most of the history out) and dense activity (chains longer
    // than the window's margin, 24-hour cuts: the whole history must be loaded instead).
    const dense = fc.array(
      fc
        .record({ visitor: fc.constantFrom('a0', 'a1'), minute: fc.integer({ min: 0, max: 4 * 24 * 60 }), kind: fc.constantFrom(...KINDS) })
        .map(({ visitor, minute, kind }) => {
          const channel = kind === 'internal' ? null : kind === 'direct' ? 'Direct' : 'Organic Search';
          return pageView(anonymous(visitor), `${visitor}#${minute}#${kind}`, minute, channel, kind.startsWith('tagged') ? kind : null);
        }),
      { minLength: 100, maxLength: 400 },
    );
    // A bot: views every few minutes for days, one chain longer than any window.
    const bot = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 29 }), fc.constantFrom(...KINDS)), { minLength: 150, maxLength: 300 })
      .chain((steps) => {
        let minute = 0;
        const views = steps.map(([gap, kind]) => {
          minute += gap;
          const channel = kind === 'internal' ? null : kind === 'direct' ? 'Direct' : 'Organic Search';
          return pageView(anonymous('bot'), `bot#${minute}`, minute, channel, kind.startsWith('tagged') ? kind : null);
        });
        return fc.shuffledSubarray(views, { minLength: views.length, maxLength: views.length });
      });
    fc.assert(
      fc.property(
        fc.oneof(history, dense, bot),
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }),
        (inputs, sizes) => {
          expect(run(inputs, sizes, true).changes).toEqual(run(inputs, [1]).changes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('publishes the same changes when a batch loads only the users it refreshes as when it loads every linked user', () => {
    fc.assert(
      fc.property(
        history,
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (inputs, sizes, windowed) => {
          expect(run(inputs, sizes, windowed).changes).toEqual(run(inputs, sizes, windowed, true).changes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds in the touch pass the touch and link changes of the full pass, input by input, and the views it adds', () => {
    fc.assert(
      fc.property(history, history, fc.boolean(), (before, batch, windowed) => {
        const snapshot = snapshotAfter(before, batch, windowed);
        const pass = AttributionLedger.touchPass(DEFAULT_SETTINGS, snapshot, batch);
        const full = new AttributionLedger(DEFAULT_SETTINGS, snapshot);
        expect(pass.changes.map(touches)).toEqual(batch.map((input) => touches(full.apply(input))));
        expect(pass.touches).toEqual(full.changedTouches());
        expect(pass.links).toEqual(full.changedLinks());
        expect(pass.newViews).toEqual(full.newViews());
      }),
      { numRuns: 300 },
    );
  });

  it("publishes the same changes when the full pass takes the touch pass's touches as when it derives them", () => {
    fc.assert(
      fc.property(history, history, fc.boolean(), (before, batch, windowed) => {
        const snapshot = snapshotAfter(before, batch, windowed);
        const derived = new AttributionLedger(DEFAULT_SETTINGS, snapshot);
        const derivedChanges = batch.map((input) => derived.apply(input));
        const pass = AttributionLedger.touchPass(DEFAULT_SETTINGS, snapshot, batch);
        const taken = new AttributionLedger(DEFAULT_SETTINGS, snapshot);
        expect(batch.map((input, index) => taken.applyAfterTouchPass(input, pass.changes[index] ?? []))).toEqual(derivedChanges);
        expect(taken.changedSubjects()).toEqual(derived.changedSubjects());
        // The same touches; their order in changedTouches() is the order they were stored in, which
        // is not a contract (the batch stores the touch pass's list).
        const byId = (touches: TouchState[]) => [...touches].sort((a, b) => a.touchId.localeCompare(b.touchId));
        expect(byId(taken.changedTouches())).toEqual(byId(derived.changedTouches()));
      }),
      { numRuns: 300 },
    );
  });

  it('publishes nothing when the same inputs come again (duplicates, replay)', () => {
    fc.assert(
      fc.property(history, (inputs) => {
        const { memory } = run(inputs);
        expect(memory.applyBatch(inputs)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("increases every subject's version by one per fact and every touch's revision by one per publication", () => {
    fc.assert(
      fc.property(history, (inputs) => {
        const versions = new Map<string, number>();
        const revisions = new Map<string, number>();
        for (const change of run(inputs, [3]).changes) {
          if (change.kind === 'subject') {
            const key = `${change.fact.type}:${change.fact.id}`;
            expect(change.fact.version).toBe((versions.get(key) ?? 0) + 1);
            versions.set(key, change.fact.version);
          } else {
            expect(change.touch.revision).toBe((revisions.get(change.touch.touchId) ?? 0) + 1);
            revisions.set(change.touch.touchId, change.touch.revision);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
