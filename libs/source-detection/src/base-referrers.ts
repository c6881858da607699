import Referer from 'referer-parser';
import type { ReferrerCategory } from '@touchstream/contracts';
import { isReferrerCategory } from './referrer-categories';

/** One referrer database entry: a site and the domains (optionally `domain/path`) it is known by. */
export interface ReferrerDefinition {
  readonly name: string;
  readonly category: ReferrerCategory;
  /** Query keys that carry the search term, lower case, in order of preference. */
  readonly parameters: readonly string[];
  /** Medium of a touch from this site when not its category's (an ad network's display, say). */
  readonly medium?: string;
  readonly domains: readonly string[];
}

/**
 * The referer-parser package's database (Snowplow's referers.yml of 2013), grouped back into
 * definitions. The package parses its YAML when loaded and keeps the resulting domain table on
 * every instance (`referers`); its per-call API re-parses the URL with the legacy url.parse and
 * has no paid or chatbot categories, so the table is read once here and looked up by our own index.
 */
export function loadBaseReferrers(): ReferrerDefinition[] {
  const table = new Referer('http://referer-parser.invalid/').referers;
  if (typeof table !== 'object' || table === null) {
    throw new Error('referer-parser: no domain table on Referer instances (package API changed)');
  }
  const byKey = new Map<string, { name: string; category: ReferrerCategory; parameters: string[]; domains: string[] }>();
  for (const [domain, definition] of Object.entries(table)) {
    const category = definition.medium;
    if (!isReferrerCategory(category) || typeof definition.name !== 'string') {
      throw new Error(`referer-parser: unexpected entry for ${domain}: ${JSON.stringify(definition)}`);
    }
    const key = `${category}\u0000${definition.name}`;
    let grouped = byKey.get(key);
    if (grouped === undefined) {
      const parameters = (definition.params ?? []).map((parameter) => parameter.toLowerCase());
      grouped = { name: definition.name, category, parameters, domains: [] };
      byKey.set(key, grouped);
    }
    grouped.domains.push(domain);
  }
  return [...byKey.values()];
}
