import type { Channel } from '@touchstream/contracts';
import { BLOG_POSTS, PAGES, SEARCH_TERMS, type SitePage } from './site';
import type { Random } from './random';

/** How a visitor reached the site, before any rule has classified it. */
export type Acquisition = 'organic-search' | 'paid-search' | 'paid-social' | 'organic-social' | 'email' | 'ai' | 'referral' | 'direct';

/**
 * A visit's entry: the landing page with its query string and the external referrer, plus what
 * source detection should conclude from them. `channel` is the authoritative expectation;
 * source/medium follow the rule order (UTM, then click id, then the referrer database, else
 * direct).
 */
export interface Landing {
  acquisition: Acquisition;
  page: SitePage;
  /** Query parameters in URL order. */
  query: readonly (readonly [string, string])[];
  /** document.referrer: '' when there is none, as analytics.js sends it. */
  referrer: string;
  channel: Channel;
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  content: string | null;
  clickIdParam: string | null;
  clickId: string | null;
}

interface LandingContext {
  random: Random;
  /** Visit start, ms since the epoch: campaign names follow the calendar. */
  at: number;
  /** The visitor has an account: email links and direct visits go to the app. */
  customer: boolean;
}

type Parts = Omit<Landing, 'acquisition' | 'query' | 'term' | 'content' | 'campaign' | 'clickIdParam' | 'clickId'> &
  Partial<Pick<Landing, 'query' | 'term' | 'content' | 'campaign' | 'clickIdParam' | 'clickId'>>;

function landing(acquisition: Acquisition, parts: Parts): Landing {
  return {
    acquisition,
    query: [],
    campaign: null,
    term: null,
    content: null,
    clickIdParam: null,
    clickId: null,
    ...parts,
  };
}

function month(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** Google writes spaces in q= as '+'. */
function searchQuery(term: string): string {
  return encodeURIComponent(term).replace(/%20/g, '+');
}

const SEARCH_LANDINGS: readonly SitePage[] = [PAGES.home, PAGES.features, PAGES.attribution, ...BLOG_POSTS, ...BLOG_POSTS];

function organicSearch({ random }: LandingContext): Landing {
  const page = random.pick(SEARCH_LANDINGS);
  const engine = random.weighted([
    ['google', 70],
    ['bing', 18],
    ['duckduckgo', 12],
  ] as const);
  // Most engines stopped passing the query years ago; some referrers still carry q=.
  const term = random.chance(0.25) ? random.pick(SEARCH_TERMS) : null;
  const base = { google: 'https://www.google.com/', bing: 'https://www.bing.com/', duckduckgo: 'https://duckduckgo.com/' }[engine];
  const referrer = term === null ? base : `${base}${engine === 'duckduckgo' ? '' : 'search'}?q=${searchQuery(term)}`;
  return landing('organic-search', { page, referrer, channel: 'Organic Search', source: engine, medium: 'organic', term });
}

function paidSearch({ random }: LandingContext): Landing {
  const page = random.pick([PAGES.demo, PAGES.pricing, PAGES.attribution]);
  if (random.chance(0.8)) {
    const clickId = `${random.token(20)}_${random.token(30)}`;
    if (random.chance(0.55)) {
      // Google Ads auto-tagging alone: the click id is the only evidence.
      return landing('paid-search', {
        page,
        query: [['gclid', clickId]],
        referrer: 'https://www.google.com/',
        channel: 'Paid Search',
        source: 'google',
        medium: 'cpc',
        clickIdParam: 'gclid',
        clickId,
      });
    }
    const campaign = random.pick(['brand-search', 'attribution-generic', 'competitor-terms']);
    const term = random.pick(SEARCH_TERMS);
    return landing('paid-search', {
      page,
      query: [
        ['utm_source', 'google'],
        ['utm_medium', 'cpc'],
        ['utm_campaign', campaign],
        ['utm_term', term],
        ['gclid', clickId],
      ],
      referrer: 'https://www.google.com/',
      channel: 'Paid Search',
      source: 'google',
      medium: 'cpc',
      campaign,
      term,
      clickIdParam: 'gclid',
      clickId,
    });
  }
  const clickId = random.hex(32);
  const campaign = random.pick(['brand-search', 'attribution-generic']);
  return landing('paid-search', {
    page,
    query: [
      ['utm_source', 'bing'],
      ['utm_medium', 'cpc'],
      ['utm_campaign', campaign],
      ['msclkid', clickId],
    ],
    referrer: 'https://www.bing.com/',
    channel: 'Paid Search',
    source: 'bing',
    medium: 'cpc',
    campaign,
    clickIdParam: 'msclkid',
    clickId,
  });
}

function paidSocial({ random, at }: LandingContext): Landing {
  const page = random.pick([PAGES.demo, PAGES.attribution, PAGES.blogB2b]);
  const network = random.weighted([
    ['facebook', 45],
    ['linkedin', 35],
    ['instagram', 20],
  ] as const);
  const campaign = `${random.pick(['retargeting', 'prospecting', 'webinar'])}-${month(at)}`;
  const content = random.pick(['video-a', 'carousel-b', 'static-c']);
  if (network === 'linkedin') {
    const clickId = random.token(24);
    return landing('paid-social', {
      page,
      query: [
        ['utm_source', 'linkedin'],
        ['utm_medium', 'cpc'],
        ['utm_campaign', campaign],
        ['utm_content', content],
        ['li_fat_id', clickId],
      ],
      referrer: random.chance(0.6) ? 'https://www.linkedin.com/' : '',
      channel: 'Paid Social',
      source: 'linkedin',
      medium: 'cpc',
      campaign,
      content,
      clickIdParam: 'li_fat_id',
      clickId,
    });
  }
  const clickId = `IwAR${random.token(40)}`;
  return landing('paid-social', {
    page,
    query: [
      ['utm_source', network],
      ['utm_medium', 'paid_social'],
      ['utm_campaign', campaign],
      ['utm_content', content],
      ['fbclid', clickId],
    ],
    referrer: network === 'facebook' ? random.pick(['https://m.facebook.com/', 'https://l.facebook.com/']) : 'https://l.instagram.com/',
    channel: 'Paid Social',
    source: network,
    medium: 'paid_social',
    campaign,
    content,
    clickIdParam: 'fbclid',
    clickId,
  });
}

function organicSocial({ random }: LandingContext): Landing {
  const page = random.pick([...BLOG_POSTS, PAGES.home, PAGES.customers]);
  const network = random.weighted([
    ['facebook', 30],
    ['linkedin', 35],
    ['twitter', 25],
    ['instagram', 10],
  ] as const);
  if (network === 'facebook') {
    // Meta adds fbclid to organic clicks too: it is not evidence of paid.
    const clickId = `IwAR${random.token(40)}`;
    return landing('organic-social', {
      page,
      query: [['fbclid', clickId]],
      referrer: 'https://l.facebook.com/',
      channel: 'Organic Social',
      source: 'facebook',
      medium: 'social',
      clickIdParam: 'fbclid',
      clickId,
    });
  }
  const referrer =
    network === 'linkedin'
      ? random.pick(['https://www.linkedin.com/', 'https://lnkd.in/'])
      : network === 'twitter'
        ? `https://t.co/${random.token(10)}`
        : 'https://l.instagram.com/';
  return landing('organic-social', { page, referrer, channel: 'Organic Social', source: network, medium: 'social' });
}

function email({ random, at, customer }: LandingContext): Landing {
  const referrer = random.weighted([
    ['', 70],
    ['https://mail.google.com/', 20],
    ['https://outlook.live.com/', 10],
  ] as const);
  if (customer) {
    const campaign = `${month(at)}-${random.pick(['product-update', 'monthly-digest', 'feature-launch'])}`;
    const page = random.pick([PAGES.dashboard, PAGES.reports, PAGES.features, ...BLOG_POSTS]);
    const content = random.pick(['header-cta', 'footer-link']);
    return landing('email', {
      page,
      query: [
        ['utm_source', 'newsletter'],
        ['utm_medium', 'email'],
        ['utm_campaign', campaign],
        ['utm_content', content],
      ],
      referrer,
      channel: 'Email',
      source: 'newsletter',
      medium: 'email',
      campaign,
      content,
    });
  }
  // A partner's newsletter brings people who have never heard of the product.
  const campaign = `issue-${random.int(20, 180)}`;
  return landing('email', {
    page: random.pick(BLOG_POSTS),
    query: [
      ['utm_source', 'martech-weekly'],
      ['utm_medium', 'email'],
      ['utm_campaign', campaign],
    ],
    referrer,
    channel: 'Email',
    source: 'martech-weekly',
    medium: 'email',
    campaign,
  });
}

function aiAssistant({ random }: LandingContext): Landing {
  const page = random.pick([PAGES.home, PAGES.features, PAGES.attribution, PAGES.pricing, ...BLOG_POSTS]);
  if (random.chance(0.65)) {
    // ChatGPT appends utm_source=chatgpt.com to the links it cites (no medium).
    if (random.chance(0.5)) {
      return landing('ai', {
        page,
        query: [['utm_source', 'chatgpt.com']],
        referrer: 'https://chatgpt.com/',
        channel: 'AI Assistants',
        source: 'chatgpt.com',
        medium: '(not set)',
      });
    }
    return landing('ai', { page, referrer: 'https://chatgpt.com/', channel: 'AI Assistants', source: 'chatgpt', medium: 'ai' });
  }
  return landing('ai', { page, referrer: 'https://www.perplexity.ai/', channel: 'AI Assistants', source: 'perplexity', medium: 'ai' });
}

const REFERRERS = [
  ['https://www.g2.com/products/acme-analytics/reviews', 'g2.com'],
  ['https://www.capterra.com/p/241337/Acme-Analytics/', 'capterra.com'],
  ['https://www.producthunt.com/products/acme-analytics', 'producthunt.com'],
  ['https://blog.partner-agency.example/attribution-stack-2024', 'blog.partner-agency.example'],
] as const;

function referral({ random }: LandingContext): Landing {
  const [referrer, source] = random.pick(REFERRERS);
  const page = random.pick([PAGES.home, PAGES.customers, PAGES.pricing, PAGES.features]);
  return landing('referral', { page, referrer, channel: 'Referral', source, medium: 'referral' });
}

function direct({ random, customer }: LandingContext): Landing {
  const page = customer
    ? random.pick([PAGES.dashboard, PAGES.dashboard, PAGES.login, PAGES.home])
    : random.pick([PAGES.home, PAGES.home, PAGES.pricing]);
  return landing('direct', { page, referrer: '', channel: 'Direct', source: '(direct)', medium: '(none)' });
}

const BUILDERS: Record<Acquisition, (context: LandingContext) => Landing> = {
  'organic-search': organicSearch,
  'paid-search': paidSearch,
  'paid-social': paidSocial,
  'organic-social': organicSocial,
  email,
  ai: aiAssistant,
  referral,
  direct,
};

export function buildLanding(acquisition: Acquisition, context: LandingContext): Landing {
  return BUILDERS[acquisition](context);
}

/** The landing page's query string as location.search gives it ('' or '?a=b&c=d'). */
export function searchOf(query: Landing['query']): string {
  if (query.length === 0) return '';
  return `?${query.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}`;
}
