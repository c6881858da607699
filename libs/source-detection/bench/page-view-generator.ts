import type { PageView } from '../src/index';

/** Deterministic PRNG (mulberry32): the same seed gives the same page views on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
type Maker = (random: Random) => { url: string; referrer: string; campaign?: PageView['campaign'] };

const SITE_DOMAINS: readonly string[] = ['example.com'];
const PAGES = ['/', '/pricing', '/blog/attribution-101', '/docs/getting-started', '/product/42', '/signup', '/checkout'];
const HOSTS = ['www.example.com', 'app.example.com', 'shop.example.com'];
const SEARCH = [
  'https://www.google.com/',
  'https://www.google.co.uk/search?q=marketing+attribution&hl=en',
  'https://www.bing.com/search?q=segment+first+touch',
  'https://duckduckgo.com/',
  'https://search.yahoo.com/search;_ylt=A0?p=utm+builder',
  'https://www.baidu.com/s?wd=%E5%BD%92%E5%9B%A0',
  'https://yandex.ru/search/?text=attribution',
  'https://www.ecosia.org/search?q=touch',
  'android-app://com.google.android.googlequicksearchbox/',
];
const SOCIAL = [
  'https://l.facebook.com/',
  'https://t.co/abc123',
  'https://www.linkedin.com/',
  'https://l.instagram.com/',
  'https://www.reddit.com/r/analytics/comments/xyz/',
  'https://www.youtube.com/',
  'android-app://com.linkedin.android/',
  'https://www.threads.net/',
];
const REFERRALS = [
  'https://news.ycombinator.com/item?id=1',
  'https://blog.someone.dev/posts/attribution',
  'https://www.producthunt.com/',
  'https://forum.bücher.de/thread/9',
  'https://medium.com/@x/post',
];
const EMAIL = [
  'https://mail.google.com/',
  'android-app://com.google.android.gm',
  'https://outlook.live.com/',
  'https://deref-gmx.net/mail/client/x/dereferrer/',
];
const AI = ['https://chatgpt.com/', 'https://www.perplexity.ai/', 'https://claude.ai/', 'https://gemini.google.com/'];
const UTM = [
  'utm_source=newsletter&utm_medium=email&utm_campaign=spring_launch&utm_content=hero',
  'utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=touchstream',
  'utm_source=facebook&utm_medium=paid_social&utm_campaign=retargeting',
  'utm_source=partner&utm_medium=affiliate&utm_campaign=q3',
  'utm_source=linkedin&utm_medium=social&utm_campaign=webinar%20june',
  'utm_source=chatgpt.com',
];
const JUNK = [
  'not a url at all',
  '/relative/path?utm_source=x',
  '%%%E0%A4%A',
  'javascript:void(0)',
  'http://[::1',
  'x'.repeat(5_000),
  `https://example.com/?q=${'%F0%9F'.repeat(600)}`,
  'undefined',
  'www.google.com/search?q=no+scheme',
];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function page(random: Random, query = ''): string {
  const url = `https://${pick(random, HOSTS)}${pick(random, PAGES)}`;
  return query === '' ? url : `${url}?${query}`;
}

function clickId(random: Random): string {
  return Math.floor(random() * 2 ** 52).toString(36) + Math.floor(random() * 2 ** 52).toString(36);
}

/** Page view kinds with their share of traffic: internal navigation dominates, as on real sites. */
const MIX: ReadonlyArray<readonly [number, Maker]> = [
  [0.36, (r) => ({ url: page(r), referrer: page(r) })],
  [0.14, (r) => ({ url: page(r), referrer: '' })],
  [0.14, (r) => ({ url: page(r), referrer: pick(r, SEARCH) })],
  [0.07, (r) => ({ url: page(r, r() < 0.5 ? `fbclid=${clickId(r)}` : ''), referrer: pick(r, SOCIAL) })],
  [0.07, (r) => ({ url: page(r, pick(r, UTM)), referrer: r() < 0.5 ? '' : pick(r, [...SOCIAL, ...EMAIL]) })],
  [0.05, (r) => ({ url: page(r, `${r() < 0.8 ? 'gclid' : 'msclkid'}=${clickId(r)}`), referrer: pick(r, SEARCH) })],
  [0.06, (r) => ({ url: page(r), referrer: pick(r, REFERRALS) })],
  [0.03, (r) => ({ url: page(r, r() < 0.5 ? 'utm_source=chatgpt.com' : ''), referrer: pick(r, AI) })],
  [0.03, (r) => ({ url: page(r), referrer: pick(r, EMAIL) })],
  [0.02, (r) => ({ url: page(r), referrer: 'https://checkout.stripe.com/c/pay/cs_live_1' })],
  [0.02, (r) => ({ url: page(r), referrer: '', campaign: { source: 'newsletter', medium: 'email', name: 'digest' } })],
  [0.01, (r) => ({ url: pick(r, JUNK), referrer: pick(r, JUNK) })],
];

/**
 * Realistic page views, `count` at a time, from one deterministic stream. Strings are flattened by
 * a JSON round trip, as those of events parsed from Kafka are; siteDomains is one shared array,
 * as a service passes its configuration.
 */
export class PageViewGenerator {
  private readonly random: Random;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  next(count: number): PageView[] {
    const views: Array<ReturnType<Maker>> = [];
    for (let i = 0; i < count; i++) views.push(makerFor(this.random())(this.random));
    const flattened = JSON.parse(JSON.stringify(views)) as Array<ReturnType<Maker>>;
    // One object shape, as a consumer builds the input from each event at one call site.
    return flattened.map(({ url, referrer, campaign }) => ({ url, referrer, campaign: campaign ?? null, siteDomains: SITE_DOMAINS }));
  }
}

function makerFor(roll: number): Maker {
  let left = roll;
  for (const [share, maker] of MIX) {
    if (left < share) return maker;
    left -= share;
  }
  return MIX[0]?.[1] ?? ((r) => ({ url: page(r), referrer: '' }));
}
