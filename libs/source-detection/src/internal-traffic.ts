import { hostSuffixes, parseUrl, withoutWww } from './parse-url';

/** A set of domains, each matching itself and its subdomains. */
export class DomainList {
  private readonly domains: ReadonlySet<string>;

  /** Accepts hosts and URLs in any case (`Example.com`, `*.example.com`, `https://example.com/`). */
  constructor(domains: readonly unknown[]) {
    const normalised = new Set<string>();
    for (const domain of domains) {
      if (typeof domain !== 'string') continue;
      const host = parseUrl(domain.trim().replace(WILDCARD, '')).host;
      if (host !== null) normalised.add(host);
    }
    this.domains = normalised;
  }

  /** Whether a host, given as its suffixes (hostSuffixes), is one of the domains or below one. */
  matches(suffixes: readonly string[]): boolean {
    if (this.domains.size === 0) return false;
    for (const suffix of suffixes) if (this.domains.has(suffix)) return true;
    return false;
  }
}

const WILDCARD = /^\*?\.+/;
const normalisedLists = new WeakMap<readonly unknown[], DomainList>();
let lastDomains: readonly unknown[] | null = null;
let lastList: DomainList | null = null;

/**
 * The DomainList for an options array. Callers pass the same configured array with every page
 * view, so it is normalised once and remembered for as long as the array lives.
 */
export function domainListOf(domains: readonly unknown[]): DomainList {
  if (domains === lastDomains && lastList !== null) return lastList;
  let list = normalisedLists.get(domains);
  if (list === undefined) {
    list = new DomainList(domains);
    normalisedLists.set(domains, list);
  }
  lastDomains = domains;
  lastList = list;
  return list;
}

// A referrer is internal when it is the page's own host, when both belong to
// the site's domains, or when it is an unwanted referral such as a payment or sign-in page.

/** The referrer is the page's own host; www.example.com and example.com count as one. */
export function isSameHost(referrerHost: string, pageHost: string | null): boolean {
  return pageHost !== null && withoutWww(referrerHost) === withoutWww(pageHost);
}

/**
 * The referrer (as its host suffixes) is on the site's domains while the page is too (a relative
 * page URL, with no host, counts as on the site), or it is an unwanted referral.
 */
export function isSiteOrUnwantedReferrer(
  referrerSuffixes: readonly string[],
  pageHost: string | null,
  siteDomains: DomainList | null,
  unwantedReferrals: DomainList,
): boolean {
  if (siteDomains?.matches(referrerSuffixes) && (pageHost === null || siteDomains.matches(hostSuffixes(pageHost)))) {
    return true;
  }
  return unwantedReferrals.matches(referrerSuffixes);
}
