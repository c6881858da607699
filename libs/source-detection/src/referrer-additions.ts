import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReferrerDefinition } from './base-referrers';
import { MEDIUM_OF_CATEGORY, isReferrerCategory } from './referrer-categories';

/** Site kinds the channel rules ask about ("source is a search site", ...). */
export const SITE_KINDS = ['search', 'social', 'video', 'shopping', 'ai'] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

/** The project's additions to the referrer database: data/referers-additions.json. */
export interface ReferrerAdditions {
  readonly referers: readonly ReferrerDefinition[];
  /** Source of a touch from a referrer name, when not the name in lower case. */
  readonly sourceNames: ReadonlyMap<string, string>;
  /** Extra names and hosts of each site kind, beyond the database's own sections. */
  readonly channelSites: ReadonlyMap<SiteKind, readonly string[]>;
  /** Names and hosts that are not of a site kind even though the database says so. */
  readonly notChannelSites: ReadonlyMap<SiteKind, readonly string[]>;
}

/** The same path from src/ (tests, tsx) and from dist/ (built library). */
export const ADDITIONS_FILE = join(__dirname, '..', 'data', 'referers-additions.json');

export function loadReferrerAdditions(file: string = ADDITIONS_FILE): ReferrerAdditions {
  return parseReferrerAdditions(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
}

/** Validates the additions file: a mistake in it fails at load with its location, not per call. */
export function parseReferrerAdditions(json: unknown, origin: string): ReferrerAdditions {
  const root = objectAt(json, origin);
  const referers = arrayAt(root['referers'], `${origin}: referers`).map((entry, index) =>
    definitionAt(entry, `${origin}: referers[${index}]`),
  );
  return {
    referers,
    sourceNames: new Map(Object.entries(stringRecordAt(root['sourceNames'] ?? {}, `${origin}: sourceNames`))),
    channelSites: siteListsAt(root['channelSites'] ?? {}, `${origin}: channelSites`),
    notChannelSites: siteListsAt(root['notChannelSites'] ?? {}, `${origin}: notChannelSites`),
  };
}

function definitionAt(value: unknown, where: string): ReferrerDefinition {
  const entry = objectAt(value, where);
  const category = stringAt(entry['category'], `${where}.category`);
  if (!isReferrerCategory(category)) {
    throw new Error(`${where}.category: ${category} is not one of ${Object.keys(MEDIUM_OF_CATEGORY).join(', ')}`);
  }
  addedDateAt(entry['added'], `${where}.added`);
  const medium = entry['medium'] === undefined ? undefined : stringAt(entry['medium'], `${where}.medium`);
  const parameters = stringsAt(entry['parameters'] ?? [], `${where}.parameters`).map((key) => key.toLowerCase());
  const definition = {
    name: stringAt(entry['name'], `${where}.name`),
    category,
    parameters,
    domains: stringsAt(entry['domains'], `${where}.domains`).map((domain) => domain.toLowerCase()),
  };
  return medium === undefined ? definition : { ...definition, medium };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every addition is dated, so a stale one can be found and checked against the current base data. */
function addedDateAt(value: unknown, where: string): string {
  const date = stringAt(value, where);
  if (!ISO_DATE.test(date) || Number.isNaN(Date.parse(date))) throw new Error(`${where}: expected a date YYYY-MM-DD, got ${date}`);
  return date;
}

function siteListsAt(value: unknown, where: string): Map<SiteKind, readonly string[]> {
  const lists = new Map<SiteKind, readonly string[]>();
  for (const [kind, names] of Object.entries(objectAt(value, where))) {
    if (!(SITE_KINDS as readonly string[]).includes(kind)) {
      throw new Error(`${where}.${kind}: not one of ${SITE_KINDS.join(', ')}`);
    }
    lists.set(
      kind as SiteKind,
      stringsAt(names, `${where}.${kind}`).map((name) => name.toLowerCase()),
    );
  }
  return lists;
}

function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object`);
  return value as Record<string, unknown>;
}

function arrayAt(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected an array`);
  return value;
}

function stringAt(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${where}: expected a non-empty string`);
  return value;
}

function stringsAt(value: unknown, where: string): string[] {
  return arrayAt(value, where).map((item, index) => stringAt(item, `${where}[${index}]`));
}

function stringRecordAt(value: unknown, where: string): Record<string, string> {
  const record = objectAt(value, where);
  for (const [key, item] of Object.entries(record)) stringAt(item, `${where}.${key}`);
  return record as Record<string, string>;
}
