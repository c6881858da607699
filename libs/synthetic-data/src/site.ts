/**
 * The synthetic customer whose traffic the generator invents: a B2B SaaS with a marketing site
 * and an app on a subdomain. Hosts use the reserved .example TLD so nothing real is referenced.
 * Pipeline tests configure these domains as the site's own (internal navigation) and the payment
 * page as an unwanted referral.
 */
export const SITE = {
  marketingOrigin: 'https://www.acme-analytics.example',
  appOrigin: 'https://app.acme-analytics.example',
  /** Apex domain: www. and app. are both internal. */
  domains: ['acme-analytics.example'],
  /** Returning from payment is not a new source (unwanted referrals). */
  unwantedReferrals: ['checkout.stripe.com'],
} as const;

export interface SitePage {
  origin: 'marketing' | 'app';
  path: string;
  title: string;
}

const marketing = (path: string, title: string): SitePage => ({ origin: 'marketing', path, title });
const app = (path: string, title: string): SitePage => ({ origin: 'app', path, title });

export const PAGES = {
  home: marketing('/', 'Acme Analytics | Know where your customers come from'),
  pricing: marketing('/pricing', 'Pricing | Acme Analytics'),
  features: marketing('/features', 'Features | Acme Analytics'),
  attribution: marketing('/features/attribution', 'Multi-touch attribution | Acme Analytics'),
  customers: marketing('/customers', 'Customers | Acme Analytics'),
  demo: marketing('/lp/attribution-demo', 'See attribution in action | Acme Analytics'),
  blog: marketing('/blog', 'Blog | Acme Analytics'),
  blogFirstTouch: marketing('/blog/first-touch-vs-last-touch', 'First touch vs last touch attribution | Acme Analytics'),
  blogUtm: marketing('/blog/utm-parameters-guide', 'The complete guide to UTM parameters | Acme Analytics'),
  blogChannels: marketing('/blog/ga4-channel-groups-explained', 'GA4 default channel groups, explained | Acme Analytics'),
  blogB2b: marketing('/blog/attribution-for-b2b-saas', 'Attribution for B2B SaaS | Acme Analytics'),
  docs: marketing('/docs/getting-started', 'Getting started | Acme Analytics Docs'),
  about: marketing('/about', 'About us | Acme Analytics'),
  signup: app('/signup', 'Create your account | Acme Analytics'),
  welcome: app('/welcome', 'Welcome | Acme Analytics'),
  login: app('/login', 'Log in | Acme Analytics'),
  dashboard: app('/dashboard', 'Dashboard | Acme Analytics'),
  reports: app('/reports/channels', 'Channel report | Acme Analytics'),
  settings: app('/settings', 'Settings | Acme Analytics'),
  billing: app('/billing', 'Billing | Acme Analytics'),
  billingSuccess: app('/billing/success', 'Thank you | Acme Analytics'),
} as const satisfies Record<string, SitePage>;

export const BLOG_POSTS: readonly SitePage[] = [PAGES.blogFirstTouch, PAGES.blogUtm, PAGES.blogChannels, PAGES.blogB2b];
/** Where an anonymous visitor wanders after landing. */
export const BROWSING_PAGES: readonly SitePage[] = [
  PAGES.home,
  PAGES.pricing,
  PAGES.features,
  PAGES.attribution,
  PAGES.customers,
  PAGES.blog,
  ...BLOG_POSTS,
  PAGES.docs,
  PAGES.about,
];
/** Where a signed-in user works. */
export const APP_PAGES: readonly SitePage[] = [PAGES.dashboard, PAGES.reports, PAGES.settings, PAGES.reports, PAGES.dashboard];

export function originOf(page: SitePage): string {
  return page.origin === 'app' ? SITE.appOrigin : SITE.marketingOrigin;
}

/** Search terms people type before landing on the site (some engines still pass them in q=). */
export const SEARCH_TERMS = [
  'marketing attribution software',
  'first touch attribution',
  'segment attribution',
  'utm tracking tool',
  'acme analytics',
  'ga4 channel groups',
  'multi touch attribution b2b',
  'how to track signups by source',
] as const;
