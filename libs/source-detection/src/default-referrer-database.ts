import { loadBaseReferrers, type ReferrerDefinition } from './base-referrers';
import { loadReferrerAdditions } from './referrer-additions';
import { ReferrerDatabase } from './referrer-database';

/**
 * Snowplow's database with the project's additions on top. An addition wins its domains (later
 * definitions win a domain) and also the base's subdomains of them listed under the same site
 * name: lookups walk from the most specific host, so the base's `www.amazon.com` would otherwise
 * hide the addition's `amazon.com` and its search parameters. Snowplow's paid section lists ad
 * servers without a medium: their referrals are display advertising (`display`); search ads
 * (`cpc`) come from the additions.
 */
export function layerReferrers(base: readonly ReferrerDefinition[], additions: readonly ReferrerDefinition[]): ReferrerDefinition[] {
  const addedDomainsByName = new Map<string, string[]>();
  for (const addition of additions) {
    const domains = addedDomainsByName.get(addition.name) ?? [];
    domains.push(...addition.domains.filter((domain) => !domain.includes('/')));
    addedDomainsByName.set(addition.name, domains);
  }
  const layered = base.map((definition) => {
    const covering = addedDomainsByName.get(definition.name) ?? [];
    const domains = definition.domains.filter((domain) => !covering.some((added) => domain.endsWith(`.${added}`)));
    const medium = definition.category === 'paid' && definition.medium === undefined ? 'display' : definition.medium;
    return medium === undefined ? { ...definition, domains } : { ...definition, domains, medium };
  });
  return [...layered.filter((definition) => definition.domains.length > 0), ...additions];
}

const additions = loadReferrerAdditions();

/** The default database, indexed once when the module loads. */
export const referrerDatabase = new ReferrerDatabase(layerReferrers(loadBaseReferrers(), additions.referers), additions);
