import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { touchIdOf } from '@touchstream/contracts';
import { AttributionTestbed, SHOP, identityLink, pageEvent, type RunningAttribution } from '../testing/harness';

/**
 * The attribution defects this service is built to avoid, each as a scenario through the real
 * broker and Postgres: raw events and identity links in, touches and user-sources facts out.
 */
describe("attribution service: the reference build's defects, on the real broker and Postgres", () => {
  const testbed = new AttributionTestbed('attribution-scenarios');
  let app: RunningAttribution;

  beforeAll(async () => {
    await testbed.start();
    app = await testbed.startApp();
  });

  afterAll(async () => {
    await testbed.close();
  });

  const touchesOf = async (anonymousId: string) =>
    [...(await testbed.latestTouches()).values()].filter((touch) => touch.anonymousId === anonymousId && touch.status === 'recorded');

  it("takes a multi-device user's first touch over all linked anonymousIds (not one device's)", async () => {
    const laptop = pageEvent({
      anonymousId: 'md-laptop',
      at: '2026-03-01T09:00:00.000Z',
      url: `${SHOP}/blog`,
      referrer: 'https://www.google.com/',
    });
    const phone = pageEvent({
      anonymousId: 'md-phone',
      at: '2026-03-04T20:00:00.000Z',
      url: `${SHOP}/pricing?utm_source=facebook&utm_medium=paid_social&utm_campaign=spring`,
      referrer: 'https://m.facebook.com/',
    });
    await testbed.produceRaw([phone, laptop]);
    await testbed.produceLinks([
      identityLink('md-phone', 'md-user', '2026-03-04T20:05:00.000Z'),
      identityLink('md-laptop', 'md-user', '2026-03-05T08:00:00.000Z'),
    ]);
    await testbed.settled();

    const user = (await testbed.latestUserSources()).get('user:md-user');
    expect(user?.firstTouch).toMatchObject({ messageId: laptop.data.event.messageId, anonymousId: 'md-laptop', userId: 'md-user' });
    expect(user?.firstTouch?.source).toMatchObject({ channel: 'Organic Search', source: 'google', medium: 'organic' });
    expect(user?.lastTouch).toMatchObject({ messageId: phone.data.event.messageId, anonymousId: 'md-phone' });
    expect(user?.lastTouch?.source).toMatchObject({ channel: 'Paid Social', campaign: 'spring' });
    expect(user).toMatchObject({ touchCount: 2, userIds: ['md-user'], lastTouchModel: 'last-non-direct' });
    // The devices' touches are the user's now: a device has no attribution of its own (no fact, or a cleared one).
    const laptopFact = (await testbed.latestUserSources()).get('anonymous:md-laptop');
    expect(laptopFact?.firstTouch ?? null).toBeNull();
    if (laptopFact) expect(laptopFact.userIds).toEqual(['md-user']);
  });

  it("moves the user's first touch to the earliest anonymous visit when the identify arrives weeks later", async () => {
    const signup = pageEvent({
      anonymousId: 'late-work',
      at: '2026-04-20T10:00:00.000Z',
      url: `${SHOP}/signup?utm_source=newsletter&utm_medium=email`,
    });
    await testbed.produceRaw([signup]);
    await testbed.produceLinks([identityLink('late-work', 'late-user', '2026-04-20T10:03:00.000Z')]);
    await testbed.settled();
    const before = (await testbed.latestUserSources()).get('user:late-user');
    expect(before).toMatchObject({ version: 1, firstTouch: { messageId: signup.data.event.messageId } });

    // Weeks of anonymous browsing at home, identified only later: the link comes after the visits.
    const blog = pageEvent({
      anonymousId: 'late-home',
      at: '2026-03-28T21:00:00.000Z',
      url: `${SHOP}/blog/utm-guide`,
      referrer: 'https://duckduckgo.com/',
    });
    const ad = pageEvent({
      anonymousId: 'late-home',
      at: '2026-04-02T21:00:00.000Z',
      url: `${SHOP}/?gclid=Cj0KCQ`,
      referrer: 'https://www.google.com/',
    });
    await testbed.produceRaw([ad, blog]);
    await testbed.settled();
    expect((await testbed.latestUserSources()).get('user:late-user')?.version).toBe(1);

    await testbed.produceLinks([identityLink('late-home', 'late-user', '2026-04-25T08:00:00.000Z')]);
    await testbed.settled();
    const after = (await testbed.latestUserSources()).get('user:late-user');
    expect(after).toMatchObject({ version: 2, touchCount: 3 });
    expect(after?.firstTouch).toMatchObject({ messageId: blog.data.event.messageId, anonymousId: 'late-home', userId: 'late-user' });
    expect(after?.lastTouch).toMatchObject({ messageId: signup.data.event.messageId });
    // The anonymous touches were republished with their owner.
    expect((await touchesOf('late-home')).map((touch) => [touch.userId, touch.revision])).toEqual([
      ['late-user', 2],
      ['late-user', 2],
    ]);
  });

  it('does not count a reload, internal navigation or a bookmark within the session as touches', async () => {
    const landing = `${SHOP}/features?utm_source=newsletter&utm_medium=email&utm_campaign=march`;
    const events = [
      pageEvent({ anonymousId: 'reloader', at: '2026-03-10T10:00:00.000Z', url: landing, referrer: 'https://mail.google.com/' }),
      pageEvent({ anonymousId: 'reloader', at: '2026-03-10T10:01:00.000Z', url: landing, referrer: 'https://mail.google.com/' }),
      pageEvent({ anonymousId: 'reloader', at: '2026-03-10T10:02:00.000Z', url: `${SHOP}/pricing`, referrer: landing }),
      pageEvent({
        anonymousId: 'reloader',
        at: '2026-03-10T10:03:00.000Z',
        url: 'https://app.shop.example/signup',
        referrer: `${SHOP}/pricing`,
      }),
      pageEvent({ anonymousId: 'reloader', at: '2026-03-10T10:10:00.000Z', url: `${SHOP}/pricing` }),
      pageEvent({
        anonymousId: 'reloader',
        at: '2026-03-10T10:11:00.000Z',
        url: landing,
        referrer: 'https://mail.google.com/',
        type: 'track',
      }),
    ];
    await testbed.produceRaw([...events].reverse());
    await testbed.settled();
    const touches = await touchesOf('reloader');
    expect(touches.map((touch) => touch.messageId)).toEqual([events[0]?.data.event.messageId]);
    expect(touches[0]?.source).toMatchObject({ channel: 'Email', campaign: 'march' });
  });

  it('does not count a gclid still in the URL on internal navigation as an ad touch', async () => {
    const ad = `${SHOP}/?gclid=EAIaIQobChMI`;
    const events = [
      pageEvent({ anonymousId: 'clicker', at: '2026-03-11T12:00:00.000Z', url: `${SHOP}/pricing`, referrer: 'https://www.bing.com/' }),
      pageEvent({ anonymousId: 'clicker', at: '2026-03-11T12:02:00.000Z', url: ad, referrer: `${SHOP}/pricing` }),
      pageEvent({ anonymousId: 'clicker', at: '2026-03-11T12:04:00.000Z', url: `${SHOP}/features?gclid=OTHER`, referrer: ad }),
    ];
    await testbed.produceRaw(events);
    await testbed.settled();
    const touches = await touchesOf('clicker');
    expect(touches.map((touch) => touch.source.channel)).toEqual(['Organic Search']);
    expect((await testbed.latestUserSources()).get('anonymous:clicker')?.lastTouch?.source.channel).toBe('Organic Search');
  });

  it('does not let a later Direct visit replace the last non-direct source', async () => {
    const email = pageEvent({
      anonymousId: 'bookmarker',
      at: '2026-03-12T08:00:00.000Z',
      url: `${SHOP}/?utm_source=newsletter&utm_medium=email`,
    });
    const direct = pageEvent({ anonymousId: 'bookmarker', at: '2026-03-19T08:00:00.000Z', url: `${SHOP}/pricing` });
    await testbed.produceRaw([email, direct]);
    await testbed.settled();
    const touches = await touchesOf('bookmarker');
    expect(touches.map((touch) => touch.source.channel)).toEqual(['Email', 'Direct']);
    const facts = (await testbed.outbox()).flatMap((fact) => (fact.userSources?.subjectId === 'bookmarker' ? [fact.userSources] : []));
    // The Direct touch changed neither first nor last touch: no second fact.
    expect(facts.map((fact) => [fact.version, fact.firstTouch?.messageId, fact.lastTouch?.messageId])).toEqual([
      [1, email.data.event.messageId, email.data.event.messageId],
    ]);
  });

  it('keeps utm_content, utm_term, the click id and the search term on the touch', async () => {
    const tagged = pageEvent({
      anonymousId: 'tagged',
      at: '2026-03-13T09:00:00.000Z',
      url: `${SHOP}/lp?utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=attribution%20tool&utm_content=hero-b&gclid=Cj0KCQjw`,
      referrer: 'https://www.google.com/',
    });
    const search = pageEvent({
      anonymousId: 'tagged',
      at: '2026-03-14T09:00:00.000Z',
      url: `${SHOP}/blog`,
      referrer: 'https://www.bing.com/search?q=first+touch+attribution',
    });
    await testbed.produceRaw([tagged, search]);
    await testbed.settled();
    const [first, second] = await touchesOf('tagged');
    expect(first?.source).toMatchObject({
      channel: 'Paid Search',
      source: 'google',
      medium: 'cpc',
      campaign: 'brand',
      term: 'attribution tool',
      content: 'hero-b',
      clickId: 'Cj0KCQjw',
      clickIdParam: 'gclid',
    });
    expect(second?.source).toMatchObject({ channel: 'Organic Search', source: 'bing', searchTerm: 'first touch attribution' });
  });

  it('attributes anonymous visitors too, and a userId-only event to its user', async () => {
    const serverSide = pageEvent({
      userId: 'server-user',
      at: '2026-03-15T09:00:00.000Z',
      url: `${SHOP}/docs`,
      referrer: 'https://news.ycombinator.com/',
    });
    await testbed.produceRaw([serverSide]);
    await testbed.settled();
    const facts = await testbed.latestUserSources();
    expect(facts.get('user:server-user')?.firstTouch).toMatchObject({
      anonymousId: null,
      userId: 'server-user',
      touchId: touchIdOf(serverSide.data.event.messageId),
    });
    expect(facts.get('anonymous:reloader')).toMatchObject({ subjectType: 'anonymous', userIds: [], touchCount: 1 });
  });

  it('re-derives a long run of activity from its whole history when a late view moves its 24-hour cuts', async () => {
    // A view every 20 minutes for 66 hours: one activity chain, sessions cut at 24 h and 48 h.
    const T0 = Date.parse('2026-03-20T00:00:00.000Z');
    const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
    const views = Array.from({ length: 200 }, (_, k) =>
      pageEvent({
        anonymousId: 'always-on',
        at: at(k * 20),
        url: `${SHOP}/status`,
        referrer: 'https://www.google.com/',
        messageId: `always-on-${k}`,
      }),
    );
    await testbed.produceRaw(views);
    await testbed.settled();
    const recorded = async () => (await touchesOf('always-on')).map((touch) => touch.messageId).sort();
    expect(await recorded()).toEqual(['always-on-0', 'always-on-144', 'always-on-72']);

    // One view 20 minutes before them all: every cut moves 20 minutes earlier, 40 hours away.
    await testbed.produceRaw([
      pageEvent({
        anonymousId: 'always-on',
        at: at(-20),
        url: `${SHOP}/status`,
        referrer: 'https://www.google.com/',
        messageId: 'always-on-early',
      }),
    ]);
    await testbed.settled();
    expect(await recorded()).toEqual(['always-on-143', 'always-on-71', 'always-on-early']);
    const withdrawn = [...(await testbed.latestTouches()).values()].filter(
      (touch) => touch.anonymousId === 'always-on' && touch.status === 'withdrawn',
    );
    expect(withdrawn.map((touch) => touch.messageId).sort()).toEqual(['always-on-0', 'always-on-144', 'always-on-72']);
  });

  it('publishes nothing new for duplicate raw events and links', async () => {
    const before = await testbed.outbox();
    const duplicate = pageEvent({
      anonymousId: 'dup',
      at: '2026-03-16T09:00:00.000Z',
      url: `${SHOP}/`,
      referrer: 'https://t.co/',
      messageId: 'dup-message',
    });
    await testbed.produceRaw([duplicate]);
    await testbed.settled();
    const once = await testbed.outbox();
    expect(once.length).toBe(before.length + 2);
    // Segment retried the event (same messageId, another delivery) and identity re-sent a link revision.
    await testbed.produceRaw([
      duplicate,
      pageEvent({
        anonymousId: 'dup',
        at: '2026-03-16T09:00:00.000Z',
        url: `${SHOP}/`,
        referrer: 'https://t.co/',
        messageId: 'dup-message',
      }),
    ]);
    await testbed.produceLinks([
      identityLink('md-laptop', 'md-user', '2026-03-05T08:00:00.000Z'),
      identityLink('md-laptop', 'md-user', '2026-03-06T08:00:00.000Z', 2),
    ]);
    await testbed.settled();
    expect(await testbed.outbox()).toEqual(once);
  });

  it('publishes nothing new when the whole raw topic is replayed through a new consumer group', async () => {
    const before = await testbed.outbox();
    await app.close();
    const replayGroup = `${testbed.group}-replay`;
    app = await testbed.startApp({ ATTRIBUTION_CONSUMER_GROUP: replayGroup });
    await testbed.settled(replayGroup);
    expect(await testbed.outbox()).toEqual(before);
  });
});
