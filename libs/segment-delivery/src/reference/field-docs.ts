import type { SourceFieldKey } from '../source-fields';

/** What docs/traits.md says of one source field: its meaning, and when it is left out. */
export interface FieldDoc {
  meaning: string;
  omitted: string;
}

/**
 * One entry per key of SOURCE_FIELD_KEYS (the type makes a missing or extra key a compile error);
 * docs/traits.md is rendered from these and from calls built by the real code.
 */
export const SOURCE_FIELD_DOCS: Readonly<Record<SourceFieldKey, FieldDoc>> = {
  timestamp: {
    meaning: 'When the visit happened: the time of the page view that opened it (ISO-8601, UTC).',
    omitted: 'Never: every touch has a time.',
  },
  channel: {
    meaning: "GA4's default channel group, plus AI Assistants: Organic Search, Paid Social, Direct, Referral, Email, ...",
    omitted: 'Never for a touch classified by this version (an unclassifiable visit is Unassigned).',
  },
  source: {
    meaning:
      "Where the visit came from, resolved as GA4 does: `utm_source`, else the click id's network, else the referrer (a known site's name in lower case, or the referring host), else `(direct)`.",
    omitted: 'Never for a classified touch.',
  },
  medium: {
    meaning:
      "The visit's medium: `utm_medium`, else `cpc` for an ad click id, `organic`, `social`, `referral`, `email`, `(none)` for direct.",
    omitted: 'Never for a classified touch.',
  },
  campaign_name: {
    meaning: "The campaign: `utm_campaign`, else `utm_id`, else Segment's `context.campaign.name`.",
    omitted: 'When the visit carried no campaign.',
  },
  campaign_source: {
    meaning: 'The source of a campaign-tagged visit (the same value as `source`).',
    omitted: 'When the visit was not campaign-tagged (no `utm_*` value in the URL, no campaign), or the source is `(not set)`.',
  },
  campaign_medium: {
    meaning: 'The medium of a campaign-tagged visit (the same value as `medium`).',
    omitted: 'When the visit was not campaign-tagged, or the medium is `(not set)`.',
  },
  campaign_term: {
    meaning: 'The keyword of a campaign-tagged visit (`utm_term`).',
    omitted: 'When the visit was not campaign-tagged or had no `utm_term` (an organic search term goes to `search_term`).',
  },
  campaign_content: {
    meaning: 'The ad or link variant (`utm_content`).',
    omitted: 'When the URL had no `utm_content`.',
  },
  url: {
    meaning: 'The landing page URL, as the page view sent it (at most 2,000 characters).',
    omitted: 'When the page view had no URL.',
  },
  referrer: {
    meaning: "The page view's referrer, as sent (`context.page.referrer` or `properties.referrer`).",
    omitted: 'When the page view had no referrer (a direct visit).',
  },
  referrer_host: {
    meaning: "The referrer's host name (IDN hosts in punycode).",
    omitted: 'When there is no referrer, or it has no host (`about:blank`, an app id without host).',
  },
  referrer_type: {
    meaning:
      'What kind of site the referrer is: `search`, `social`, `email` (webmail), `chatbot` (AI assistant), `paid` (ad server) or `unknown`.',
    omitted: 'When the referrer is not in the referrer database (any other website) or there is none.',
  },
  referrer_network: {
    meaning: 'The social or ad network that referred the visit, by name (Facebook, LinkedIn, Google Ads, ...).',
    omitted: 'Unless `referrer_type` is `social` or `paid`.',
  },
  referrer_engine: {
    meaning: 'The search engine or AI assistant that referred the visit, by name (Google, Bing, ChatGPT, ...).',
    omitted: 'Unless `referrer_type` is `search` or `chatbot`.',
  },
  referrer_client: {
    meaning: 'The webmail that referred the visit, by name (Gmail, Outlook.com, ...).',
    omitted: 'Unless `referrer_type` is `email`.',
  },
  search_term: {
    meaning: "The search term, read from the search engine's referrer URL.",
    omitted: 'When the engine did not pass it (Google and most engines today send only their host).',
  },
  click_id: {
    meaning: 'The ad click id from the landing URL (`gclid`, `fbclid`, `msclkid`, ... value).',
    omitted: 'When the landing URL had none.',
  },
  click_id_type: {
    meaning: 'Which click id parameter it was: `gclid`, `gbraid`, `wbraid`, `dclid`, `msclkid`, `fbclid`, `ttclid`, `li_fat_id`, ...',
    omitted: 'When the landing URL had no click id.',
  },
};
