import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, toRawEvent, validateSegmentEvent, type PageEvent, type SegmentEvent } from '@touchstream/contracts';
import { generateArchive } from './generate';
import { SITE } from './site';
import type { PersonTruth } from './truth';

const SESSION_GAP_MS = 30 * 60 * 1000;
const options = { users: 1_500, days: 60, seed: 'spec' };
const ms = (event: SegmentEvent) => Date.parse(event.timestamp as string);
const host = (url: string) => (url ? new URL(url).host : '');
const isSite = (url: string) => host(url).endsWith(SITE.domains[0]);

describe('generateArchive', () => {
  let events: SegmentEvent[];
  let people: PersonTruth[];

  beforeAll(() => {
    const archive = generateArchive(options);
    events = [...archive.events()];
    people = [...archive.people()];
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const small = { users: 60, days: 10, seed: 7 };
    const text = (seed: number) => [...generateArchive({ ...small, seed }).events()].map((event) => JSON.stringify(event)).join('\n');
    expect(text(7)).toBe(text(7));
    expect(text(8)).not.toBe(text(7));
  });

  it('writes only events that pass ingest validation, with unique messageIds', () => {
    for (const event of events) {
      const result = validateSegmentEvent(JSON.parse(JSON.stringify(event)));
      if (!result.ok) throw new Error(`${result.reason}: ${JSON.stringify(event)}`);
      expect(toRawEvent(result.event, { source: 'import', receivedAt: new Date() }).occurredAt).toBe(new Date(ms(event)).toISOString());
    }
    expect(new Set(events.map((event) => event.messageId)).size).toBe(events.length);
    expect(events.length).toBeGreaterThan(options.users * 5);
  });

  it('orders the file by time by default; person and shuffled orders hold the same events', () => {
    for (let i = 1; i < events.length; i++) expect(ms(events[i] as SegmentEvent)).toBeGreaterThanOrEqual(ms(events[i - 1] as SegmentEvent));
    const archive = generateArchive(options);
    const ids = (list: Iterable<SegmentEvent>) => [...list].map((event) => event.messageId).sort();
    const timeIds = ids(events);
    expect(ids(archive.events({ kind: 'person' }))).toEqual(timeIds);
    const shuffled = [...archive.events({ kind: 'shuffled', window: 1_000 })];
    expect(ids(shuffled)).toEqual(timeIds);
    expect(shuffled.some((event, i) => i > 0 && ms(event) < ms(shuffled[i - 1] as SegmentEvent))).toBe(true);
  });

  it('starts a session exactly at each planned visit: visits are over 30 minutes apart, page views within one are not', () => {
    const landings = new Set(people.flatMap((person) => person.visits.map((visit) => visit.messageId)));
    const byDevice = new Map<string, SegmentEvent[]>();
    for (const event of events) {
      const list = byDevice.get(event.anonymousId as string) ?? [];
      list.push(event);
      byDevice.set(event.anonymousId as string, list);
    }
    let sessionStarts = 0;
    for (const list of byDevice.values()) {
      list.forEach((event, i) => {
        const opens = i === 0 || ms(event) - ms(list[i - 1] as SegmentEvent) > SESSION_GAP_MS;
        expect(opens).toBe(landings.has(event.messageId as string));
        if (opens) sessionStarts++;
      });
    }
    expect(sessionStarts).toBe(landings.size);
    const { startMs, endMs } = generateArchive(options).options;
    for (const visit of people.flatMap((person) => person.visits)) {
      expect(Date.parse(visit.startedAt)).toBeGreaterThanOrEqual(startMs);
      expect(Date.parse(visit.startedAt)).toBeLessThan(endMs + 1_000);
    }
  });

  it('brings visitors from every channel with the evidence real traffic carries', () => {
    const visits = people.flatMap((person) => person.visits);
    const channels = new Set(visits.map((visit) => visit.channel));
    for (const channel of [
      'Organic Search',
      'Paid Search',
      'Paid Social',
      'Organic Social',
      'Email',
      'AI Assistants',
      'Referral',
      'Direct',
    ] as const) {
      expect(channels.has(channel)).toBe(true);
    }
    expect([...channels].every((channel) => (CHANNELS as readonly string[]).includes(channel))).toBe(true);
    const of = (channel: string) => visits.filter((visit) => visit.channel === channel);

    const organic = of('Organic Search');
    expect(new Set(organic.map((visit) => host(visit.referrer)))).toEqual(new Set(['www.google.com', 'www.bing.com', 'duckduckgo.com']));
    expect(organic.some((visit) => visit.referrer.includes('q=') && visit.term)).toBe(true);
    expect(organic.some((visit) => !visit.referrer.includes('q=') && visit.term === null)).toBe(true);

    const paidSearch = of('Paid Search');
    expect(paidSearch.some((visit) => /[?&]gclid=/.test(visit.landingUrl) && !visit.landingUrl.includes('utm_'))).toBe(true);
    expect(paidSearch.some((visit) => visit.landingUrl.includes('utm_medium=cpc'))).toBe(true);

    const social = [...of('Organic Social'), ...of('Paid Social')];
    expect(new Set(social.map((visit) => visit.source))).toEqual(new Set(['facebook', 'linkedin', 'twitter', 'instagram']));
    expect(of('Organic Social').some((visit) => visit.clickIdParam === 'fbclid' && !visit.landingUrl.includes('utm_'))).toBe(true);
    expect(of('Organic Social').some((visit) => host(visit.referrer) === 't.co')).toBe(true);
    expect(of('Paid Social').every((visit) => /utm_medium=(cpc|paid_social)/.test(visit.landingUrl))).toBe(true);

    expect(of('Email').every((visit) => visit.landingUrl.includes('utm_medium=email'))).toBe(true);
    expect(new Set(of('AI Assistants').map((visit) => host(visit.referrer)))).toEqual(new Set(['chatgpt.com', 'www.perplexity.ai']));
    expect(of('Referral').every((visit) => visit.referrer !== '' && !isSite(visit.referrer))).toBe(true);
    expect(of('Direct').every((visit) => visit.referrer === '' && !visit.landingUrl.includes('?'))).toBe(true);
  });

  it('fills context.campaign from the landing URL and uses the previous page as referrer on internal navigation', () => {
    const landings = new Map(people.flatMap((person) => person.visits.map((visit) => [visit.messageId, visit] as const)));
    let internal = 0;
    for (const event of events.filter((candidate): candidate is PageEvent => candidate.type === 'page')) {
      const page = event.context?.page;
      expect(page?.url).toBe(event.properties?.url);
      const visit = landings.get(event.messageId as string);
      if (visit) {
        expect(page?.referrer).toBe(visit.referrer);
        if (visit.landingUrl.includes('utm_source='))
          expect(event.context?.campaign?.source).toBe(new URL(visit.landingUrl).searchParams.get('utm_source'));
        else expect(event.context?.campaign).toBeUndefined();
        continue;
      }
      // Not a landing: internal navigation, a reload (same referrer as before) or the return from checkout.
      const referrer = page?.referrer ?? '';
      if (isSite(referrer)) internal++;
      else expect(referrer === '' || SITE.unwantedReferrals.includes(host(referrer) as never) || !isSite(referrer)).toBe(true);
    }
    expect(internal).toBeGreaterThan(events.length / 3);
  });

  it('identifies at sign-up with anonymousId, userId and traits, after anonymous browsing', () => {
    const signedUp = people.filter((person) => person.userId);
    expect(signedUp.length / people.length).toBeGreaterThan(0.25);
    expect(signedUp.length / people.length).toBeLessThan(0.45);
    const signUps = events.filter((event) => event.type === 'identify' && event.traits && 'createdAt' in event.traits);
    expect(signUps.length).toBe(signedUp.length);
    for (const person of signedUp) {
      const identify = signUps.find((event) => event.userId === person.userId) as SegmentEvent & { traits: Record<string, unknown> };
      expect(identify.anonymousId).toBeTruthy();
      expect(identify.traits).toMatchObject({ email: expect.stringMatching(/@/), firstName: expect.any(String), plan: 'trial' });
      const device = events.filter((event) => event.anonymousId === identify.anonymousId);
      const at = device.indexOf(identify);
      expect(device.slice(0, at).every((event) => event.userId === null)).toBe(true);
      expect(device.slice(at).every((event) => event.userId === person.userId)).toBe(true);
    }
    expect(people.some((person) => person.userId && person.visits[0]?.intent !== 'signup')).toBe(true);
  });

  it('gives users several devices, links some by log-in, and computes first touch over all linked devices', () => {
    const users = people.filter((person) => person.userId);
    expect(users.some((person) => person.devices.filter((device) => device.linked).length >= 2)).toBe(true);
    expect(users.some((person) => person.devices.some((device) => !device.linked))).toBe(true);
    expect(people.some((person) => person.visits.length >= 3)).toBe(true);
    let crossDevice = 0;
    for (const person of users) {
      const linked = new Set(person.devices.filter((device) => device.linked).map((device) => device.anonymousId));
      const candidates = person.visits.filter((visit) => linked.has(visit.anonymousId));
      const earliest = candidates.reduce((a, b) => (Date.parse(b.startedAt) < Date.parse(a.startedAt) ? b : a));
      expect(person.firstTouch).toEqual(earliest);
      const signUpDevice = person.visits.find((visit) => visit.intent === 'signup')?.anonymousId;
      if (person.firstTouch?.anonymousId !== signUpDevice) crossDevice++;
      expect(person.lastNonDirectTouch?.channel === 'Direct' ? candidates.every((visit) => visit.channel === 'Direct') : true).toBe(true);
    }
    expect(crossDevice).toBeGreaterThan(0);
    for (const person of people.filter((candidate) => !candidate.userId)) expect(person.firstTouch).toBeNull();
  });
});
