import type { ReferrerCategory } from '@touchstream/contracts';
import type { ReferrerDefinition } from './base-referrers';
import { type ParsedUrl, hostSuffixes } from './parse-url';
import type { ReferrerAdditions, SiteKind } from './referrer-additions';
import { MEDIUM_OF_CATEGORY } from './referrer-categories';
import { SITE, siteOfCategory } from './site-kinds';

/** A known referrer: what a touch from it says. */
export interface ReferrerEntry {
  /** Display name, as in Snowplow's database ("Google Images"). */
  readonly name: string;
  readonly category: ReferrerCategory;
  /** The touch's source ("google"). */
  readonly source: string;
  /** The touch's medium (organic, social, email, ai, cpc/display, referral). */
  readonly medium: string;
  /** Query keys carrying the search term, in order of preference. */
  readonly searchParameters: ReadonlyMap<string, number>;
}

/** What a referrer host resolves to. */
export interface HostRecord {
  /** null for a host that is only a channel site (`twitch.tv`), not in the referrer database. */
  readonly entry: ReferrerEntry | null;
  /** SITE bits: what the channel rules treat this host as. */
  readonly sites: number;
}

interface PathRecord {
  readonly path: string;
  readonly record: HostRecord;
}

/**
 * The referrer database as host-suffix indexes, built once at load: a lookup walks the host's
 * suffixes (a.b.example.com, b.example.com, example.com) with one map probe each, so a call
 * costs a few hash lookups whatever the size of the data.
 */
export class ReferrerDatabase {
  private readonly hosts = new Map<string, HostRecord>();
  /** Entries written `domain/path`, by domain, longest path first. */
  private readonly paths = new Map<string, PathRecord[]>();
  /** `example.com` -> the record of `www.example.com`, for hosts the data only lists with www. */
  private readonly withoutWww = new Map<string, HostRecord>();
  /** Source name or host -> SITE bits, for sources that come from UTM values or click ids. */
  private readonly sourceSites = new Map<string, number>();

  constructor(definitions: readonly ReferrerDefinition[], additions: ReferrerAdditions) {
    const sites = new SiteLists(additions);
    const keyed = new Map<string, ReferrerEntry>();
    for (const definition of definitions) {
      const entry = toEntry(definition, additions.sourceNames);
      for (const domain of definition.domains) keyed.set(domain.toLowerCase(), entry);
    }
    for (const [key, entry] of keyed) this.index(key, { entry, sites: sites.of(entry, key) });
    // Only entries that kept a domain name sites: "Meta" lost meta.ua to "Meta.ua" in the additions.
    for (const entry of new Set(keyed.values())) this.addSourceSites(entry, sites);
    for (const [host, record] of this.hosts) {
      const bare = host.startsWith('www.') ? host.slice(4) : null;
      if (bare !== null && !this.hosts.has(bare)) this.withoutWww.set(bare, record);
    }
    this.addChannelOnlyHosts(sites);
    for (const [key, bits] of sites.byKey) this.sourceSites.set(key, (this.sourceSites.get(key) ?? 0) | bits);
    for (const [key, bits] of sites.notByKey) this.sourceSites.set(key, (this.sourceSites.get(key) ?? 0) & ~bits);
  }

  /**
   * The record for a referrer, given its host's suffixes (hostSuffixes): the most specific one the
   * data knows. As in referer-parser, an entry with a path that fits the referrer
   * (`google.fr/imgres`) wins over host-only entries at any level (`www.google.fr`).
   */
  lookup(suffixes: readonly string[], referrer: ParsedUrl): HostRecord | undefined {
    let found: HostRecord | undefined;
    for (const suffix of suffixes) {
      const byPath = this.paths.get(suffix);
      if (byPath !== undefined) {
        for (const candidate of byPath) if (pathStartsWith(referrer, candidate.path)) return candidate.record;
      }
      found ??= this.hosts.get(suffix);
    }
    return found ?? (suffixes[0] === undefined ? undefined : this.withoutWww.get(suffixes[0]));
  }

  /** An app package id (`android-app://com.google.android.gm`) matches exactly. */
  lookupApp(packageId: string): HostRecord | undefined {
    return this.hosts.get(packageId);
  }

  /** SITE bits of a source given as a name (`facebook`) or a host (`l.facebook.com`), lower case. */
  sitesOfSource(source: string): number {
    const byName = this.sourceSites.get(source);
    if (byName !== undefined) return byName;
    if (source.indexOf('.') === -1) return 0;
    return this.lookupHost(source)?.sites ?? 0;
  }

  /** Every domain key with its record, for tests and diagnostics. */
  *records(): IterableIterator<[string, HostRecord]> {
    yield* this.hosts;
    for (const [host, list] of this.paths) for (const { path, record } of list) yield [host + path, record];
  }

  private lookupHost(host: string): HostRecord | undefined {
    for (const suffix of hostSuffixes(host)) {
      const record = this.hosts.get(suffix);
      if (record !== undefined) return record;
    }
    return this.withoutWww.get(host);
  }

  private index(key: string, record: HostRecord): void {
    const slash = key.indexOf('/');
    if (slash === -1) {
      this.hosts.set(key, record);
      return;
    }
    const host = key.slice(0, slash);
    const path = key.endsWith('/') ? key.slice(slash, -1) : key.slice(slash);
    const list = this.paths.get(host) ?? [];
    list.push({ path, record });
    list.sort((a, b) => b.path.length - a.path.length);
    this.paths.set(host, list);
  }

  private addSourceSites(entry: ReferrerEntry, sites: SiteLists): void {
    const bits = siteOfCategory(entry.category);
    if (bits === 0) return;
    for (const key of [entry.source, entry.name.toLowerCase()]) {
      this.sourceSites.set(key, (this.sourceSites.get(key) ?? 0) | (bits & ~sites.notOf(key)));
    }
  }

  /** Hosts listed only as channel sites inherit the database entry of their parent domain. */
  private addChannelOnlyHosts(sites: SiteLists): void {
    for (const [key, bits] of sites.byKey) {
      if (key.indexOf('.') === -1 || this.hosts.has(key)) continue;
      const parent = this.lookupHost(key);
      const entry = parent?.entry ?? null;
      const inherited = parent?.sites ?? 0;
      this.hosts.set(key, { entry, sites: (inherited | bits) & ~sites.notOf(key) });
    }
  }
}

/** The additions' channelSites / notChannelSites lists, by lower-case name or host. */
class SiteLists {
  readonly byKey = new Map<string, number>();
  readonly notByKey = new Map<string, number>();

  constructor(additions: ReferrerAdditions) {
    fill(this.byKey, additions.channelSites);
    fill(this.notByKey, additions.notChannelSites);
  }

  /**
   * SITE bits of a database entry found under `domain`: those of the source a touch from it gets.
   * That source is the entry's name, except in the unknown section, where it is the host itself
   * (support.google.com is not Google search).
   */
  of(entry: ReferrerEntry, domain: string): number {
    const keys = entry.category === 'unknown' ? [domain] : [domain, entry.source];
    let bits = siteOfCategory(entry.category);
    for (const key of keys) bits |= this.byKey.get(key) ?? 0;
    for (const key of keys) bits &= ~this.notOf(key);
    return bits;
  }

  notOf(key: string): number {
    return this.notByKey.get(key) ?? 0;
  }
}

function fill(target: Map<string, number>, lists: ReadonlyMap<SiteKind, readonly string[]>): void {
  for (const [kind, keys] of lists) for (const key of keys) target.set(key, (target.get(key) ?? 0) | SITE[kind]);
}

function toEntry(definition: ReferrerDefinition, sourceNames: ReadonlyMap<string, string>): ReferrerEntry {
  return {
    name: definition.name,
    category: definition.category,
    source: sourceNames.get(definition.name) ?? definition.name.toLowerCase(),
    medium: definition.medium ?? MEDIUM_OF_CATEGORY[definition.category],
    searchParameters: new Map(definition.parameters.map((key, index) => [key.toLowerCase(), index])),
  };
}

/** The referrer's path is `prefix` or continues it with a new segment: `/imgres` fits `/imgres/x`, not `/imgresults`. */
function pathStartsWith(referrer: ParsedUrl, prefix: string): boolean {
  const { text, pathStart, pathEnd } = referrer;
  if (pathEnd - pathStart < prefix.length || !text.startsWith(prefix, pathStart)) return false;
  const next = pathStart + prefix.length;
  return next === pathEnd || text.charCodeAt(next) === 0x2f;
}
