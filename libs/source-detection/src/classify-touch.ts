import type { TouchSource } from '@touchstream/contracts';
import { type CampaignValues, type SegmentCampaign, readPageParams, segmentCampaignValues } from './campaign-params';
import { channelOf } from './channel';
import { DEFAULT_UNWANTED_REFERRALS } from './default-unwanted-referrals';
import { referrerDatabase } from './default-referrer-database';
import { DomainList, domainListOf, isSameHost, isSiteOrUnwantedReferrer } from './internal-traffic';
import { type ParsedUrl, hostSuffixes, parseUrl, withoutWww } from './parse-url';
import { decodeQueryComponent } from './percent-decode';
import { readFirstValues } from './query-params';
import type { HostRecord, ReferrerEntry } from './referrer-database';
import { MAX_PARSED_LENGTH, MAX_URL_LENGTH, MAX_VALUE_LENGTH, boundText, cleanValue } from './text-bounds';

/** One page view as source detection reads it (Segment page call fields). */
export interface PageView {
  /** `context.page.url` or `properties.url`. */
  readonly url?: string | null;
  /** `context.page.referrer` or `properties.referrer`. */
  readonly referrer?: string | null;
  /** Segment's `context.campaign`: used when the URL carries no UTM parameters. */
  readonly campaign?: SegmentCampaign | null;
  /**
   * The site's own domains: a referrer on any of them (or their subdomains) is internal when the
   * page is on them too. Pass the same (unchanging) configured array with every call: it is
   * normalised once per array.
   */
  readonly siteDomains?: readonly string[] | null;
  /** Referrers that are never a source (payment, sign-in). Replaces DEFAULT_UNWANTED_REFERRALS. */
  readonly unwantedReferrals?: readonly string[] | null;
}

const NOT_SET = '(not set)';
const defaultUnwantedReferrals = new DomainList(DEFAULT_UNWANTED_REFERRALS);

/** Where the visit's source, medium and campaign came from (first that applies). */
interface SourceMedium {
  readonly source: string;
  readonly medium: string;
  readonly campaign: CampaignValues | null;
  readonly term: string | null;
  /** SITE bits of the source, for the channel rules. */
  readonly sites: number;
}

/**
 * Classifies a page view's traffic source: internal navigation, or the touch's source, medium,
 * campaign and channel. Pure and total: any input, however malformed,
 * gives a TouchSource; unknown values are null.
 */
export function classifyTouch(pageView: PageView): TouchSource {
  const view: PageView = typeof pageView === 'object' && pageView !== null ? pageView : {};
  const url = cleanValue(view.url, MAX_PARSED_LENGTH);
  const landingUrl = url === null ? null : boundText(url, MAX_URL_LENGTH);
  const page = url === null ? null : parseUrl(url);
  const pageHost = page?.host ?? null;
  const referrerText = cleanValue(view.referrer, MAX_PARSED_LENGTH);
  const referrer = referrerText === null ? null : parseUrl(referrerText);
  const referrerHost = referrer?.host ?? null;

  const params = page === null ? null : readPageParams(page.text, page.queryStart, page.queryEnd);
  const campaign = params?.campaign ?? segmentCampaignValues(view.campaign);
  const clickId = params?.clickId ?? null;

  let external: ParsedUrl | null = null;
  let record: HostRecord | undefined;
  if (referrer !== null && referrerHost !== null && !isSameHost(referrerHost, pageHost)) {
    const suffixes = referrer.isApp ? [referrerHost] : hostSuffixes(referrerHost);
    if (!isSiteOrUnwantedReferrer(suffixes, pageHost, siteDomainsOf(view), unwantedOf(view))) {
      external = referrer;
      record = referrer.isApp ? referrerDatabase.lookupApp(referrerHost) : referrerDatabase.lookup(suffixes, referrer);
    }
  }
  const internal = referrerHost !== null && external === null;
  if (internal && campaign === null && clickId === null) return internalTouch(referrerHost, landingUrl);

  const entry = record?.entry ?? null;
  const searchTerm = external !== null && entry?.category === 'search' ? searchTermOf(external, entry) : null;
  const chosen = chooseSourceMedium({
    campaign,
    paidClick: clickId?.rule.paid ?? null,
    external,
    entry,
    referrerSites: record?.sites ?? 0,
    searchTerm,
  });
  const source = boundText(chosen.source, MAX_VALUE_LENGTH);
  const medium = boundText(chosen.medium, MAX_VALUE_LENGTH);

  return {
    internal: false,
    channel: channelOf({
      source: source.toLowerCase(),
      medium: medium.toLowerCase(),
      campaign: chosen.campaign?.campaign?.toLowerCase() ?? '',
      sites: chosen.sites,
    }),
    source,
    medium,
    campaign: chosen.campaign?.campaign ?? null,
    term: chosen.term,
    content: chosen.campaign?.content ?? null,
    referrerHost: referrerHost === null ? null : boundText(referrerHost, MAX_VALUE_LENGTH),
    referrerName: entry?.name ?? null,
    referrerCategory: external === null ? null : (entry?.category ?? 'unknown'),
    searchTerm,
    clickId: clickId?.value ?? null,
    clickIdParam: clickId?.rule.param ?? null,
    landingUrl,
  };
}

/** What a page view offers to choose its source and medium from, strongest first. */
interface SourceEvidence {
  campaign: CampaignValues | null;
  paidClick: { readonly source: string; readonly medium: string } | null;
  external: ParsedUrl | null;
  entry: ReferrerEntry | null;
  referrerSites: number;
  searchTerm: string | null;
}

function chooseSourceMedium({ campaign, paidClick, external, entry, referrerSites, searchTerm }: SourceEvidence): SourceMedium {
  if (campaign !== null) {
    const source = campaign.source ?? NOT_SET;
    const sites = referrerDatabase.sitesOfSource(source.toLowerCase());
    return { source, medium: campaign.medium ?? NOT_SET, campaign, term: campaign.term, sites };
  }
  if (paidClick !== null) {
    const sites = referrerDatabase.sitesOfSource(paidClick.source);
    return { source: paidClick.source, medium: paidClick.medium, campaign: null, term: null, sites };
  }
  if (external !== null && external.host !== null) {
    if (entry !== null && entry.category !== 'unknown') {
      return { source: entry.source, medium: entry.medium, campaign: null, term: searchTerm, sites: referrerSites };
    }
    return { source: withoutWww(external.host), medium: 'referral', campaign: null, term: null, sites: referrerSites };
  }
  return { source: '(direct)', medium: '(none)', campaign: null, term: null, sites: 0 };
}

function internalTouch(referrerHost: string, landingUrl: string | null): TouchSource {
  return {
    internal: true,
    channel: null,
    source: null,
    medium: null,
    campaign: null,
    term: null,
    content: null,
    referrerHost: boundText(referrerHost, MAX_VALUE_LENGTH),
    referrerName: null,
    referrerCategory: null,
    searchTerm: null,
    clickId: null,
    clickIdParam: null,
    landingUrl,
  };
}

/** The search term, verbatim but decoded: the first of the engine's parameters that has a value. */
function searchTermOf(referrer: ParsedUrl, entry: ReferrerEntry): string | null {
  if (entry.searchParameters.size === 0 || referrer.queryStart >= referrer.queryEnd) return null;
  const values = new Array<string | undefined>(entry.searchParameters.size);
  const found = readFirstValues(referrer.text, referrer.queryStart, referrer.queryEnd, entry.searchParameters, values);
  if (found === 0) return null;
  for (const raw of values) {
    if (raw === undefined) continue;
    const term = decodeQueryComponent(raw);
    // Kept verbatim (Snowplow keeps a leading space), but blank or "undefined" is no term.
    if (cleanValue(term) !== null) return boundText(term, MAX_VALUE_LENGTH);
  }
  return null;
}

function siteDomainsOf(view: PageView): DomainList | null {
  return Array.isArray(view.siteDomains) ? domainListOf(view.siteDomains) : null;
}

function unwantedOf(view: PageView): DomainList {
  return Array.isArray(view.unwantedReferrals) ? domainListOf(view.unwantedReferrals) : defaultUnwantedReferrals;
}
