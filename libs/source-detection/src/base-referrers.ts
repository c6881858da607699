import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** The npm package that carries Snowplow's referer database (data/referers.json), pinned exactly. */
export const SNOWPLOW_DATABASE_PACKAGE = '@cgamesplay/referer-parser';

/** Which edition of Snowplow's referer database the base data is, from its package's version (1.0.YYYYMMDD). */
export interface BaseReferrersEdition {
  readonly package: string;
  readonly version: string;
  /** The database's date (YYYY-MM-DD), as its package version states it. */
  readonly date: string;
}

function packageDirectory(): string {
  return dirname(require.resolve(`${SNOWPLOW_DATABASE_PACKAGE}/package.json`));
}

export function baseReferrersEdition(): BaseReferrersEdition {
  const manifest = JSON.parse(readFileSync(join(packageDirectory(), 'package.json'), 'utf8')) as { version?: unknown };
  const version = String(manifest.version);
  const stamp = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})$/.exec(version);
  if (stamp === null) throw new Error(`${SNOWPLOW_DATABASE_PACKAGE}@${version}: expected a version 1.0.YYYYMMDD that dates its database`);
  return { package: SNOWPLOW_DATABASE_PACKAGE, version, date: `${stamp[1]}-${stamp[2]}-${stamp[3]}` };
}

/**
 * Snowplow's referer database (referers.json: medium -> name -> { domains, parameters? }) as
 * definitions, read once at load from the package's data file; the package's own parser is not
 * used (it re-parses URLs with the legacy url.parse and knows no chatbot section).
 */
export function loadBaseReferrers(file: string = join(packageDirectory(), 'data', 'referers.json')): ReferrerDefinition[] {
  const database = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (typeof database !== 'object' || database === null) throw new Error(`${file}: expected an object of media`);
  const definitions: ReferrerDefinition[] = [];
  for (const [category, sites] of Object.entries(database)) {
    if (!isReferrerCategory(category)) throw new Error(`${file}: unknown medium ${category}`);
    for (const [name, entry] of Object.entries(sites as Record<string, { domains?: unknown; parameters?: unknown }>)) {
      const domains = entry.domains;
      const parameters = entry.parameters ?? [];
      if (!isStrings(domains) || domains.length === 0 || !isStrings(parameters)) {
        throw new Error(`${file}: unexpected entry ${category}/${name}: ${JSON.stringify(entry)}`);
      }
      definitions.push({
        name,
        category,
        parameters: parameters.map((parameter) => parameter.toLowerCase()),
        domains: domains.map((domain) => domain.toLowerCase()),
      });
    }
  }
  return definitions;
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);
}
