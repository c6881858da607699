import type { SegmentEvent } from '@touchstream/contracts';
import { searchOf } from './acquisition';
import type { Device } from './devices';
import type { ResolvedOptions } from './options';
import { MAX_VISIT_MS, type PersonPlan, type VisitPlan } from './person-plan';
import { hashHex, Random } from './random';
import { APP_PAGES, BROWSING_PAGES, originOf, PAGES, SITE, type SitePage } from './site';

const LIBRARY = { name: 'analytics.js', version: 'next-1.70.0' } as const;
/** Visitors stop browsing once a visit has lasted this long, so it stays under MAX_VISIT_MS. */
const BROWSE_BUDGET_MS = MAX_VISIT_MS - 20 * 60 * 1000;

/** Where the browser is: analytics.js attaches this page (and its utm_* as campaign) to every call. */
interface Location {
  page: SitePage;
  url: string;
  search: string;
  referrer: string;
  campaign: Record<string, string> | undefined;
}

const CAMPAIGN_KEYS = [
  ['utm_campaign', 'name'],
  ['utm_source', 'source'],
  ['utm_medium', 'medium'],
  ['utm_term', 'term'],
  ['utm_content', 'content'],
] as const;

function locationOf(page: SitePage, referrer: string, query: readonly (readonly [string, string])[] = []): Location {
  const search = searchOf(query);
  const campaign: Record<string, string> = {};
  for (const [param, field] of CAMPAIGN_KEYS) {
    const found = query.find(([key]) => key === param);
    if (found) campaign[field] = found[1];
  }
  return {
    page,
    url: `${originOf(page)}${page.path}${search}`,
    search,
    referrer,
    campaign: Object.keys(campaign).length > 0 ? campaign : undefined,
  };
}

/** Builds one visit's events in time order; `t` is the true time of the next event. */
class VisitWriter {
  readonly events: SegmentEvent[] = [];
  private t: number;
  private location: Location | undefined;
  private userId: string | null;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly plan: PersonPlan,
    private readonly visit: VisitPlan,
    private readonly device: Device,
    readonly random: Random,
  ) {
    this.t = visit.start;
    this.userId = visit.identified ? plan.userId : null;
  }

  elapsed(): number {
    return this.t - this.visit.start;
  }

  /**
   * Time passes on the page: a few seconds to a few minutes, never a session break. At least a
   * second, more than the spread of delivery latency, so recorded timestamps keep the true order.
   */
  wait(meanMs: number, minMs = 1_000, maxMs = 6 * 60_000): void {
    this.t += Math.round(Math.min(maxMs, Math.max(minMs, this.random.exponential(meanMs))));
  }

  identifyAs(userId: string): void {
    this.userId = userId;
  }

  /** Navigates and records the page view; internal navigation has the previous URL as referrer. */
  page(page: SitePage, referrer?: string, query?: readonly (readonly [string, string])[]): void {
    this.location = locationOf(page, referrer ?? this.location?.url ?? '', query);
    this.pageView();
  }

  /** A reload keeps document.referrer: an external one stays external. */
  reload(): void {
    if (this.location) this.pageView();
  }

  private pageView(): void {
    const location = this.location as Location;
    const properties = {
      path: location.page.path,
      referrer: location.referrer,
      search: location.search,
      title: location.page.title,
      url: location.url,
    };
    this.push({ type: 'page', properties });
  }

  track(event: string, properties: Record<string, unknown>): void {
    this.push({ type: 'track', event, properties });
  }

  identify(traits: Record<string, unknown>): void {
    this.push({ type: 'identify', traits });
  }

  private push(body: Record<string, unknown>): void {
    const location = this.location as Location;
    const latency = this.random.int(20, 400);
    const flushDelay = this.random.int(5, 800);
    const skew = this.device.clockSkewMs;
    const iso = (ms: number) => new Date(ms).toISOString();
    const context: Record<string, unknown> = {};
    if (location.campaign) context.campaign = location.campaign;
    context.ip = this.device.ip;
    context.library = LIBRARY;
    context.locale = this.device.locale;
    context.page = {
      path: location.page.path,
      referrer: location.referrer,
      search: location.search,
      title: location.page.title,
      url: location.url,
    };
    context.userAgent = this.device.userAgent;
    const { person } = this.plan;
    const event: Record<string, unknown> = {
      anonymousId: this.device.anonymousId,
      channel: 'client',
      context,
      integrations: {},
      messageId: `ajs-next-${hashHex(this.options.seed, 'message', person, this.visit.index, this.events.length)}`,
      originalTimestamp: iso(this.t + skew),
      ...body,
      receivedAt: iso(this.t + flushDelay + latency),
      sentAt: iso(this.t + skew + flushDelay),
      timestamp: iso(this.t + latency),
      userId: this.userId,
    };
    this.events.push(event as SegmentEvent);
  }
}

function browse(writer: VisitWriter, pages: number): void {
  for (let i = 0; i < pages && writer.elapsed() < BROWSE_BUDGET_MS; i++) {
    writer.wait(70_000);
    writer.page(writer.random.pick(BROWSING_PAGES));
    if (writer.random.chance(0.04)) {
      writer.wait(5_000);
      writer.reload();
    }
    if (writer.random.chance(0.12)) {
      writer.wait(8_000);
      writer.track('CTA Clicked', {
        cta: writer.random.pick(['start-trial', 'book-demo']),
        location: writer.random.pick(['hero', 'nav', 'footer']),
      });
    }
  }
}

function work(writer: VisitWriter, pages: number): void {
  for (let i = 0; i < pages && writer.elapsed() < BROWSE_BUDGET_MS; i++) {
    writer.wait(90_000);
    writer.page(writer.random.pick(APP_PAGES));
  }
}

/**
 * The events of one visit, in time order. Deterministic per (seed, person, visit): the archive
 * can produce visits in any order and still get the same bytes.
 */
export function visitEvents(options: ResolvedOptions, plan: PersonPlan, visitIndex: number): SegmentEvent[] {
  const visit = plan.visits[visitIndex];
  if (!visit) throw new RangeError(`person ${plan.person} has no visit ${visitIndex}`);
  const device = plan.devices[visit.device] as Device;
  const random = Random.of(options.seed, 'visit', plan.person, visitIndex);
  const writer = new VisitWriter(options, plan, visit, device, random);
  const { landing } = visit;
  writer.page(landing.page, landing.referrer, landing.query);
  if (random.chance(0.04)) {
    writer.wait(5_000);
    writer.reload();
  }
  const { userId, traits } = plan;

  switch (visit.intent) {
    case 'browse':
      browse(
        writer,
        random.weighted([
          [0, 30],
          [1, 25],
          [2, 20],
          [3, 12],
          [4, 8],
          [6, 5],
        ] as const),
      );
      break;
    case 'work':
      work(writer, random.int(1, 4));
      break;
    case 'signup': {
      browse(writer, random.int(0, 3));
      writer.wait(40_000);
      writer.page(PAGES.pricing);
      writer.wait(60_000);
      writer.page(PAGES.signup);
      writer.wait(45_000, 10_000);
      writer.identifyAs(userId as string);
      writer.identify({ ...traits, createdAt: new Date(visit.start + writer.elapsed()).toISOString() });
      writer.wait(1_500, 1_000, 3_000);
      writer.track('Signed Up', { method: random.pick(['email', 'google']) });
      writer.wait(3_000);
      writer.page(PAGES.welcome);
      work(writer, random.int(0, 2));
      break;
    }
    case 'login':
      if (landing.page !== PAGES.login) {
        writer.wait(20_000);
        writer.page(PAGES.login);
      }
      writer.wait(25_000, 5_000);
      writer.identifyAs(userId as string);
      writer.identify({ email: traits?.email });
      writer.wait(1_500, 1_000, 3_000);
      writer.track('Signed In', { method: random.pick(['email', 'google']) });
      writer.wait(3_000);
      writer.page(PAGES.dashboard);
      work(writer, random.int(0, 3));
      break;
    case 'upgrade':
      writer.wait(30_000);
      writer.page(PAGES.billing);
      // Out to the payment provider and back: the referrer is Stripe, the source is not.
      writer.wait(120_000, 40_000);
      writer.page(PAGES.billingSuccess, `https://${SITE.unwantedReferrals[0]}/`);
      writer.wait(2_000, 1_000, 5_000);
      writer.track('Order Completed', {
        orderId: `ord_${hashHex(options.seed, 'order', plan.person).slice(0, 12)}`,
        plan: 'growth',
        revenue: random.pick([299, 999]),
        currency: 'USD',
      });
      break;
  }
  return writer.events;
}
