import type { TouchData, UserSourcesData } from '@touchstream/contracts';

/**
 * The keys a touch is flattened into: the reference build's (url, referrer, referrer_type,
 * referrer_network, referrer_engine, referrer_host, referrer_client, campaign_name,
 * campaign_source, campaign_medium, campaign_term) plus ours. Nested objects are avoided on
 * purpose: most destinations only take flat traits.
 */
export const SOURCE_FIELD_KEYS = [
  'timestamp',
  'channel',
  'source',
  'medium',
  'campaign_name',
  'campaign_source',
  'campaign_medium',
  'campaign_term',
  'campaign_content',
  'url',
  'referrer',
  'referrer_host',
  'referrer_type',
  'referrer_network',
  'referrer_engine',
  'referrer_client',
  'search_term',
  'click_id',
  'click_id_type',
] as const;
export type SourceFieldKey = (typeof SOURCE_FIELD_KEYS)[number];

/** Only known values: a key whose value is unknown is absent (a null would blank the trait downstream). */
export type SourceFields = Partial<Record<SourceFieldKey, string>>;

export const FIRST_TOUCH_PREFIX = 'source_first_';
export const LAST_TOUCH_PREFIX = 'source_last_';

/** A UTM parameter with a value in the query (before any fragment): the touch came from a tagged link. */
const UTM_IN_QUERY = /[?&]utm_(?:source|medium|campaign|term|content|id|source_platform)=[^&#]/i;
/** GA's placeholder for a campaign parameter that was not given: unknown, so omitted from campaign_*. */
const NOT_SET = '(not set)';

/**
 * Flattens one touch into source fields (the mapping table is in docs/decisions/0008-segment-sink.md).
 * campaign_* describe the campaign tagging (UTM parameters, or Segment's context.campaign); source
 * and medium are the resolved classification, whatever it came from. referrerName lands in the key
 * the reference build used for its category: search engines and AI assistants in referrer_engine,
 * social and ad networks in referrer_network, webmail clients in referrer_client.
 */
export function sourceFieldsOf(touch: TouchData): SourceFields {
  return writeFields(touch, UNPREFIXED, {});
}

/**
 * Identify traits of a subject: its first touch as source_first_*, its last touch as source_last_*.
 * A fact without touches (one that clears an earlier one) gives no traits.
 */
export function userSourcesTraits(fact: Pick<UserSourcesData, 'firstTouch' | 'lastTouch'>): Record<string, string> {
  const traits: Record<string, string> = {};
  if (fact.firstTouch !== null) writeFields(fact.firstTouch, FIRST_TOUCH_KEYS, traits);
  if (fact.lastTouch !== null) writeFields(fact.lastTouch, LAST_TOUCH_KEYS, traits);
  return traits;
}

type KeyNames = Readonly<Record<SourceFieldKey, string>>;
const keyNames = (prefix: string): KeyNames =>
  Object.fromEntries(SOURCE_FIELD_KEYS.map((key) => [key, `${prefix}${key}`])) as Record<SourceFieldKey, string>;
const UNPREFIXED = keyNames('');
const FIRST_TOUCH_KEYS = keyNames(FIRST_TOUCH_PREFIX);
const LAST_TOUCH_KEYS = keyNames(LAST_TOUCH_PREFIX);

/** Writes a touch's known fields into `out` under the given key names, in SOURCE_FIELD_KEYS order. */
function writeFields(touch: TouchData, names: KeyNames, out: Record<string, string>): Record<string, string> {
  const source = touch.source;
  const url = known(source.landingUrl) ?? known(touch.url);
  const tagged =
    known(source.campaign) !== undefined || known(source.content) !== undefined || (url !== undefined && UTM_IN_QUERY.test(queryOf(url)));
  const name = known(source.referrerName);
  const category = source.referrerCategory;
  const put = (key: SourceFieldKey, value: string | null | undefined) => {
    if (known(value) !== undefined) out[names[key]] = value as string;
  };
  put('timestamp', touch.occurredAt);
  put('channel', source.channel);
  put('source', source.source);
  put('medium', source.medium);
  put('campaign_name', source.campaign);
  if (tagged) {
    put('campaign_source', source.source === NOT_SET ? null : source.source);
    put('campaign_medium', source.medium === NOT_SET ? null : source.medium);
    put('campaign_term', source.term);
  }
  put('campaign_content', source.content);
  put('url', url);
  put('referrer', touch.referrer);
  put('referrer_host', source.referrerHost);
  put('referrer_type', category);
  if (category === 'social' || category === 'paid') put('referrer_network', name);
  if (category === 'search' || category === 'chatbot') put('referrer_engine', name);
  if (category === 'email') put('referrer_client', name);
  put('search_term', source.searchTerm);
  put('click_id', source.clickId);
  put('click_id_type', source.clickIdParam);
  return out;
}

const NON_BLANK = /\S/;

/** A value worth sending: a non-blank string. Everything else is unknown, hence omitted. */
function known(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && NON_BLANK.test(value) ? value : undefined;
}

function queryOf(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}
