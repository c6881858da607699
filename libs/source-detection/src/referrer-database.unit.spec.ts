import type { Channel, ReferrerCategory } from '@touchstream/contracts';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { type ReferrerDefinition, baseReferrersEdition, loadBaseReferrers } from './base-referrers';
import { classifyTouch } from './classify-touch';
import { layerReferrers, referrerDatabase } from './default-referrer-database';
import { hostSuffixes, parseUrl } from './parse-url';
import { ADDITIONS_FILE, type ReferrerAdditions, loadReferrerAdditions, parseReferrerAdditions } from './referrer-additions';
import { ReferrerDatabase } from './referrer-database';
import { SITE } from './site-kinds';

const additions = loadReferrerAdditions();
const base = loadBaseReferrers();

/** A referral from `referrer` to a page of a site that is in no list. */
function referral(referrer: string) {
  return classifyTouch({ url: 'https://touchstream.example/', referrer, unwantedReferrals: [] });
}

describe('the referrer data', () => {
  it("loads Snowplow's referer database from its package, dated by the package version", () => {
    const domains = base.flatMap((definition) => definition.domains);

    expect(domains.length).toBeGreaterThan(2_300);
    expect(base.find((definition) => definition.domains.includes('www.google.com'))?.name).toBe('Google');
    // The 2013 table's typo, fixed in later editions.
    expect(base.find((definition) => definition.domains.includes('duckduckgo.com'))?.name).toBe('DuckDuckGo');
    expect(baseReferrersEdition()).toEqual({ package: '@cgamesplay/referer-parser', version: '1.0.20200414', date: '2020-04-14' });
  });

  it('dates every addition no earlier than the base edition it adds to', () => {
    const edition = baseReferrersEdition().date;
    const raw = JSON.parse(readFileSync(ADDITIONS_FILE, 'utf8')) as { referers: Array<{ name: string; added: string }> };
    expect(raw.referers.filter((entry) => !(entry.added >= edition)).map((entry) => entry.name)).toEqual([]);
  });

  it('lets every domain of the additions resolve to its addition, over the base data', () => {
    const wrong = additions.referers.flatMap((definition) =>
      definition.domains
        .filter((domain) => !domain.includes('/'))
        .map((domain) => ({ domain, want: `${definition.category}/${definition.name}`, touch: referral(`https://${domain}/`) }))
        .filter(({ want, touch }) => `${touch.referrerCategory}/${touch.referrerName}` !== want)
        .map(({ domain, want, touch }) => `${domain}: ${touch.referrerCategory}/${touch.referrerName}, not ${want}`),
    );

    expect(wrong).toEqual([]);
  });

  it('lists each domain once in the additions', () => {
    const domains = additions.referers.flatMap((definition) => definition.domains);

    expect(domains.filter((domain, index) => domains.indexOf(domain) !== index)).toEqual([]);
  });

  it('renames only referrers that exist', () => {
    const names = new Set([...base, ...additions.referers].map((definition) => definition.name));

    expect([...additions.sourceNames.keys()].filter((name) => !names.has(name))).toEqual([]);
  });

  it('classifies a referral from every known domain into a channel that fits its category', () => {
    const fits: Record<ReferrerCategory, readonly Channel[]> = {
      search: ['Organic Search', 'Organic Shopping'],
      social: ['Organic Social', 'Organic Video'],
      email: ['Email'],
      chatbot: ['AI Assistants'],
      paid: ['Paid Search', 'Paid Social', 'Paid Video', 'Paid Shopping', 'Display'],
      unknown: ['Referral', 'Organic Video', 'Organic Shopping'],
    };
    const misfits: string[] = [];
    let checked = 0;
    for (const [key] of referrerDatabase.records()) {
      const touch = referral(`https://${key}`);
      const category = touch.referrerCategory ?? 'unknown';
      checked++;
      if (touch.channel === null || !fits[category].includes(touch.channel)) misfits.push(`${key}: ${category} -> ${touch.channel}`);
    }

    expect(checked).toBeGreaterThan(2_000);
    expect(misfits).toEqual([]);
  });

  it('knows the current AI assistants, ad servers, social networks and search engines', () => {
    const count = (category: ReferrerCategory) =>
      new Set([...base, ...additions.referers].filter((definition) => definition.category === category).map((d) => d.name)).size;

    expect({
      chatbot: count('chatbot') >= 9,
      paid: count('paid') >= 40,
      social: count('social') >= 90,
      search: count('search') >= 230,
    }).toEqual({
      chatbot: true,
      paid: true,
      social: true,
      search: true,
    });
  });
});

describe('ReferrerDatabase', () => {
  const definitions: ReferrerDefinition[] = [
    { name: 'Engine', category: 'search', parameters: ['q'], domains: ['engine.test', 'www.only-www.test'] },
    { name: 'Engine Images', category: 'search', parameters: ['q'], domains: ['engine.test/images'] },
    { name: 'Engine Mail', category: 'email', parameters: [], domains: ['mail.engine.test'] },
    { name: 'Engine', category: 'unknown', parameters: [], domains: ['help.engine.test'] },
    { name: 'Tube', category: 'social', parameters: [], domains: ['tube.test'] },
    { name: 'Chat', category: 'social', parameters: [], domains: ['chat.app.package'] },
  ];
  const lists: ReferrerAdditions = {
    referers: [],
    sourceNames: new Map([['Engine Images', 'engine']]),
    channelSites: new Map([
      ['video', ['tube', 'clips.test']],
      ['shopping', ['store.engine.test']],
    ]),
    notChannelSites: new Map([['social', ['tube']]]),
  };
  const database = new ReferrerDatabase(definitions, lists);
  const find = (referrer: string) => {
    const url = parseUrl(referrer);
    const record = url.host === null ? undefined : database.lookup(hostSuffixes(url.host), url);
    return record === undefined ? undefined : { name: record.entry?.name ?? null, source: record.entry?.source, sites: record.sites };
  };

  it.each([
    ['a subdomain finds its parent', 'https://a.b.engine.test/', 'Engine'],
    ['the most specific suffix wins', 'https://x.mail.engine.test/', 'Engine Mail'],
    ['a path entry fits on a segment boundary', 'https://engine.test/images/1', 'Engine Images'],
    ['a path entry wins over a host entry lower down', 'https://www.engine.test/images', 'Engine Images'],
    ['a path entry needs the whole segment', 'https://engine.test/imagesque', 'Engine'],
    ['a host the data lists only with www.', 'https://only-www.test/', 'Engine'],
    ['a channel-only host inherits its parent entry', 'https://store.engine.test/', 'Engine'],
    ['a channel-only host without a parent', 'https://clips.test/', null],
  ])('%s', (_, referrer, name) => {
    expect(find(referrer)?.name).toBe(name);
  });

  it('finds nothing for unknown hosts', () => {
    expect(find('https://elsewhere.test/')).toBeUndefined();
  });

  it('matches app package ids exactly', () => {
    expect(database.lookupApp('chat.app.package')?.entry?.name).toBe('Chat');
    expect(database.lookupApp('app.package')).toBeUndefined();
  });

  it('gives a path entry its renamed source', () => {
    expect(find('https://engine.test/images')?.source).toBe('engine');
  });

  it('marks hosts with the site kinds of their section and of the channel lists', () => {
    expect(find('https://engine.test/')?.sites).toBe(SITE.search);
    expect(find('https://store.engine.test/')?.sites).toBe(SITE.search | SITE.shopping);
    expect(find('https://tube.test/')?.sites).toBe(SITE.video);
    expect(find('https://mail.engine.test/')?.sites).toBe(0);
  });

  it('takes site kinds of an unknown-section entry from its host, not its name', () => {
    expect(find('https://help.engine.test/')?.sites).toBe(0);
  });

  it('tells the site kinds of a UTM source by name or by host', () => {
    expect(database.sitesOfSource('engine')).toBe(SITE.search);
    expect(database.sitesOfSource('tube')).toBe(SITE.video);
    expect(database.sitesOfSource('m.engine.test')).toBe(SITE.search);
    expect(database.sitesOfSource('clips.test')).toBe(SITE.video);
    expect(database.sitesOfSource('nobody')).toBe(0);
  });
});

describe('parseReferrerAdditions', () => {
  const entry = { name: 'X', added: '2026-12-06', category: 'social', domains: ['x.test'] };

  it('reads a valid file', () => {
    const parsed = parseReferrerAdditions({ referers: [entry], channelSites: { video: ['Tube'] } }, 'test');

    expect(parsed.referers).toEqual([{ name: 'X', category: 'social', parameters: [], domains: ['x.test'] }]);
    expect(parsed.channelSites.get('video')).toEqual(['tube']);
  });

  it.each([
    ['no referers array', {}, 'test: referers: expected an array'],
    ['an unknown category', { referers: [{ ...entry, category: 'blog' }] }, 'test: referers[0].category: blog is not one of'],
    ['a missing name', { referers: [{ ...entry, name: ' ' }] }, 'test: referers[0].name: expected a non-empty string'],
    ['domains that are not strings', { referers: [{ ...entry, domains: ['a', 3] }] }, 'test: referers[0].domains[1]'],
    ['an unknown site kind', { referers: [], channelSites: { blogs: [] } }, 'test: channelSites.blogs: not one of'],
    ['a source name that is no string', { referers: [], sourceNames: { X: 1 } }, 'test: sourceNames.X'],
    ['an entry without its date', { referers: [{ name: 'X', category: 'social', domains: ['x.test'] }] }, 'test: referers[0].added'],
    ['an entry with a date that is none', { referers: [{ ...entry, added: '2026-13-45' }] }, 'test: referers[0].added: expected a date'],
  ])('rejects %s, saying where', (_, json, message) => {
    expect(() => parseReferrerAdditions(json, 'test')).toThrow(message);
  });
});

describe('layerReferrers: the additions on top of the base data', () => {
  const definition = (name: string, category: ReferrerDefinition['category'], domains: string[], parameters: string[] = []) => ({
    name,
    category,
    parameters,
    domains,
  });

  it("gives an addition the base's subdomains of its domains under the same name, and nothing else", () => {
    const layered = layerReferrers(
      [definition('Amazon', 'search', ['www.amazon.com', 'amazon.de'], ['keywords']), definition('Other', 'search', ['x.amazon.com'])],
      [definition('Amazon', 'search', ['amazon.com'], ['keywords', 'k'])],
    );

    expect(layered).toEqual([
      definition('Amazon', 'search', ['amazon.de'], ['keywords']),
      definition('Other', 'search', ['x.amazon.com']),
      definition('Amazon', 'search', ['amazon.com'], ['keywords', 'k']),
    ]);
  });

  it("drops a base entry whose domains the additions all cover, and makes the base's ad servers display", () => {
    const layered = layerReferrers(
      [definition('ZEDO', 'paid', ['z1.zedo.com']), definition('Taboola', 'paid', ['trc.taboola.com'])],
      [{ ...definition('ZEDO', 'paid', ['zedo.com']), medium: 'display' }],
    );

    expect(layered).toEqual([
      { ...definition('Taboola', 'paid', ['trc.taboola.com']), medium: 'display' },
      { ...definition('ZEDO', 'paid', ['zedo.com']), medium: 'display' },
    ]);
  });
});
