import { CLICK_ID_RULES, type ClickIdRule } from './click-ids';
import { decodeQueryComponent } from './percent-decode';
import { readFirstValues } from './query-params';
import { cleanValue } from './text-bounds';

/** Campaign values of a touch, from UTM parameters or Segment's `context.campaign`. */
export interface CampaignValues {
  readonly source: string | null;
  readonly medium: string | null;
  readonly campaign: string | null;
  readonly term: string | null;
  readonly content: string | null;
}

export interface ClickId {
  readonly rule: ClickIdRule;
  readonly value: string;
}

/** What the page URL's query says about the visit. */
export interface PageParams {
  readonly campaign: CampaignValues | null;
  readonly clickId: ClickId | null;
}

/** Segment's `context.campaign`, as analytics.js fills it (`name` is utm_campaign). */
export interface SegmentCampaign {
  readonly name?: string | null;
  readonly source?: string | null;
  readonly medium?: string | null;
  readonly term?: string | null;
  readonly content?: string | null;
}

// Slot of each key in the array readFirstValues fills: the UTM keys, then the click ids.
const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'utm_id', 'utm_source_platform'];
const SOURCE = 0;
const MEDIUM = 1;
const CAMPAIGN = 2;
const TERM = 3;
const CONTENT = 4;
const ID = 5;
const PLATFORM = 6;
const SLOTS: ReadonlyMap<string, number> = new Map([
  ...UTM_KEYS.map((key, slot): [string, number] => [key, slot]),
  ...CLICK_ID_RULES.map((rule, index): [string, number] => [rule.param, UTM_KEYS.length + index]),
]);
const SLOT_COUNT = UTM_KEYS.length + CLICK_ID_RULES.length;

const NO_PARAMS: PageParams = { campaign: null, clickId: null };

/** Reads UTM parameters and click ids from the query string text[start, end) in one pass. */
export function readPageParams(text: string, start: number, end: number): PageParams {
  if (start >= end) return NO_PARAMS;
  const raw = new Array<string | undefined>(SLOT_COUNT);
  if (readFirstValues(text, start, end, SLOTS, raw) === 0) return NO_PARAMS;
  return { campaign: utmValues(raw), clickId: clickIdOf(raw) };
}

/** Segment's parsed campaign, used when the URL itself has no UTM parameters. */
export function segmentCampaignValues(campaign: SegmentCampaign | null | undefined): CampaignValues | null {
  if (typeof campaign !== 'object' || campaign === null) return null;
  const values: CampaignValues = {
    source: cleanValue(campaign.source),
    medium: cleanValue(campaign.medium),
    campaign: cleanValue(campaign.name),
    term: cleanValue(campaign.term),
    content: cleanValue(campaign.content),
  };
  return hasAny(values) ? values : null;
}

function utmValues(raw: Array<string | undefined>): CampaignValues | null {
  const values: CampaignValues = {
    source: utmValue(raw[SOURCE]),
    medium: utmValue(raw[MEDIUM]),
    // utm_id names the campaign when there is no utm_campaign: GA4 maps ids to names the same way.
    campaign: utmValue(raw[CAMPAIGN]) ?? utmValue(raw[ID]),
    term: utmValue(raw[TERM]),
    content: utmValue(raw[CONTENT]),
  };
  // utm_source_platform has no field of its own, but it still marks the URL as tagged.
  return hasAny(values) || utmValue(raw[PLATFORM]) !== null ? values : null;
}

function utmValue(raw: string | undefined): string | null {
  return raw === undefined ? null : cleanValue(decodeQueryComponent(raw));
}

function clickIdOf(raw: Array<string | undefined>): ClickId | null {
  for (let index = 0; index < CLICK_ID_RULES.length; index++) {
    const text = raw[UTM_KEYS.length + index];
    const rule = CLICK_ID_RULES[index];
    // An empty `gclid=` proves nothing: look at the next id.
    const value = utmValue(text);
    if (value !== null && rule !== undefined) return { rule, value };
  }
  return null;
}

function hasAny(values: CampaignValues): boolean {
  return values.source !== null || values.medium !== null || values.campaign !== null || values.term !== null || values.content !== null;
}
