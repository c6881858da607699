import { type TouchSource, touchSourceSchema } from '@touchstream/contracts';
import { describe, expect, it } from 'vitest';
import { type PageView, classifyTouch } from './classify-touch';

const PAGE = 'https://www.example.com/landing';

interface Case {
  readonly name: string;
  readonly view: PageView;
  readonly expected: Partial<TouchSource>;
}

/** A page view landing on PAGE with `query`, from `referrer`. */
function landing(query: string, referrer = ''): PageView {
  return { url: query === '' ? PAGE : `${PAGE}?${query}`, referrer };
}

const channelRules: Case[] = [
  { name: 'no referrer is Direct', view: landing(''), expected: { channel: 'Direct', source: '(direct)', medium: '(none)' } },
  { name: 'utm (direct)/(none) is Direct', view: landing('utm_source=(direct)&utm_medium=(none)'), expected: { channel: 'Direct' } },
  {
    name: 'utm (direct) without medium is Direct',
    view: landing('utm_source=(direct)'),
    expected: { channel: 'Direct', medium: '(not set)' },
  },
  {
    name: 'cross-network campaign',
    view: landing('utm_source=google&utm_medium=cpc&utm_campaign=PMax_Cross-Network'),
    expected: { channel: 'Cross-network' },
  },
  { name: 'shopping site with paid medium', view: landing('utm_source=amazon&utm_medium=cpc'), expected: { channel: 'Paid Shopping' } },
  {
    name: 'shopping campaign with paid medium',
    view: landing('utm_source=partner&utm_medium=ppc&utm_campaign=black-friday-shop'),
    expected: { channel: 'Paid Shopping' },
  },
  {
    name: 'search site with cpc',
    view: landing('utm_source=google&utm_medium=cpc'),
    expected: { channel: 'Paid Search', source: 'google', medium: 'cpc' },
  },
  { name: 'search site with paid-search', view: landing('utm_source=bing&utm_medium=paid-search'), expected: { channel: 'Paid Search' } },
  {
    name: 'social site with paid medium',
    view: landing('utm_source=facebook&utm_medium=paid_social'),
    expected: { channel: 'Paid Social' },
  },
  { name: 'social site given as a host', view: landing('utm_source=l.facebook.com&utm_medium=cpc'), expected: { channel: 'Paid Social' } },
  { name: 'video site with paid medium', view: landing('utm_source=youtube&utm_medium=cpc'), expected: { channel: 'Paid Video' } },
  { name: 'display medium', view: landing('utm_source=criteo&utm_medium=display'), expected: { channel: 'Display' } },
  {
    name: 'cpm on no known site is Display, not Paid Other',
    view: landing('utm_source=adnetwork&utm_medium=cpm'),
    expected: { channel: 'Display' },
  },
  { name: 'a generic database name is no site', view: landing('utm_source=free&utm_medium=cpc'), expected: { channel: 'Paid Other' } },
  { name: 'paid medium on no known site', view: landing('utm_source=partner&utm_medium=retargeting'), expected: { channel: 'Paid Other' } },
  {
    name: 'shopping site referral',
    view: landing('', 'https://www.etsy.com/listing/1'),
    expected: { channel: 'Organic Shopping', source: 'etsy.com', medium: 'referral' },
  },
  {
    name: 'shopping search engine',
    view: landing('', 'https://www.amazon.com/s?k=usb+hub'),
    expected: { channel: 'Organic Shopping', source: 'amazon', medium: 'organic', searchTerm: 'usb hub' },
  },
  {
    name: 'shopping campaign without paid medium',
    view: landing('utm_source=blog&utm_medium=article&utm_campaign=shopping-guide'),
    expected: { channel: 'Organic Shopping' },
  },
  {
    name: 'social referrer',
    view: landing('', 'https://t.co/xyz'),
    expected: { channel: 'Organic Social', source: 'twitter', medium: 'social', referrerName: 'Twitter' },
  },
  {
    name: 'social medium on an unknown source',
    view: landing('utm_source=newsletter&utm_medium=social-network'),
    expected: { channel: 'Organic Social' },
  },
  { name: 'medium sm', view: landing('utm_source=acme&utm_medium=sm'), expected: { channel: 'Organic Social' } },
  {
    name: 'video site referrer',
    view: landing('', 'https://www.youtube.com/watch?v=1'),
    expected: { channel: 'Organic Video', source: 'youtube', referrerCategory: 'social' },
  },
  {
    name: 'video site known only as a channel site',
    view: landing('', 'https://www.twitch.tv/acme'),
    expected: { channel: 'Organic Video', referrerCategory: 'unknown' },
  },
  { name: 'video medium', view: landing('utm_source=acme&utm_medium=video-launch'), expected: { channel: 'Organic Video' } },
  {
    name: 'AI assistant referrer',
    view: landing('', 'https://chatgpt.com/'),
    expected: { channel: 'AI Assistants', source: 'chatgpt', medium: 'ai', referrerCategory: 'chatbot' },
  },
  {
    name: "ChatGPT's own utm_source",
    view: landing('utm_source=chatgpt.com', 'https://chatgpt.com/'),
    expected: { channel: 'AI Assistants', source: 'chatgpt.com', medium: '(not set)' },
  },
  { name: 'medium ai', view: landing('utm_source=acme&utm_medium=ai'), expected: { channel: 'AI Assistants' } },
  {
    name: 'search referrer with its term',
    view: landing('', 'https://www.google.com/search?q=marketing+attribution'),
    expected: {
      channel: 'Organic Search',
      source: 'google',
      medium: 'organic',
      term: 'marketing attribution',
      searchTerm: 'marketing attribution',
    },
  },
  {
    name: 'medium organic on an unknown source',
    view: landing('utm_source=acme&utm_medium=organic'),
    expected: { channel: 'Organic Search' },
  },
  {
    name: 'unknown referrer',
    view: landing('', 'https://blog.someone.dev/post'),
    expected: { channel: 'Referral', source: 'blog.someone.dev', medium: 'referral', referrerCategory: 'unknown', referrerName: null },
  },
  {
    name: 'unknown referrer loses www.',
    view: landing('', 'https://www.someone.dev/'),
    expected: { source: 'someone.dev', referrerHost: 'www.someone.dev' },
  },
  { name: 'medium link', view: landing('utm_source=acme&utm_medium=link'), expected: { channel: 'Referral' } },
  { name: 'medium app', view: landing('utm_source=acme&utm_medium=app'), expected: { channel: 'Referral' } },
  { name: 'medium email', view: landing('utm_source=newsletter&utm_medium=email'), expected: { channel: 'Email' } },
  { name: 'source e-mail', view: landing('utm_source=e-mail'), expected: { channel: 'Email', medium: '(not set)' } },
  {
    name: 'webmail referrer',
    view: landing('', 'https://mail.google.com/mail/u/0/'),
    expected: { channel: 'Email', source: 'gmail', medium: 'email', referrerCategory: 'email' },
  },
  { name: 'medium affiliate', view: landing('utm_source=partner&utm_medium=affiliate'), expected: { channel: 'Affiliates' } },
  { name: 'medium audio', view: landing('utm_source=spotify-ad&utm_medium=audio'), expected: { channel: 'Audio' } },
  { name: 'source sms', view: landing('utm_source=sms&utm_medium=text'), expected: { channel: 'SMS' } },
  { name: 'medium sms', view: landing('utm_source=twilio&utm_medium=sms'), expected: { channel: 'SMS' } },
  {
    name: 'medium ending in push',
    view: landing('utm_source=app&utm_medium=web-push'),
    expected: { channel: 'Mobile Push Notifications' },
  },
  {
    name: 'medium with notification',
    view: landing('utm_source=app&utm_medium=in-app-notification-1'),
    expected: { channel: 'Mobile Push Notifications' },
  },
  { name: 'medium with mobile', view: landing('utm_source=app&utm_medium=mobile'), expected: { channel: 'Mobile Push Notifications' } },
  { name: 'nothing matches', view: landing('utm_source=foo&utm_medium=bar'), expected: { channel: 'Unassigned' } },
  {
    name: 'a campaign alone is (not set) / (not set)',
    view: landing('utm_campaign=spring'),
    expected: { channel: 'Unassigned', source: '(not set)', medium: '(not set)', campaign: 'spring' },
  },
];

const STRIPE = 'https://checkout.stripe.com/c/pay/cs_live_1';
const internalDetection: Case[] = [
  {
    name: 'same host',
    view: landing('', 'https://www.example.com/pricing'),
    expected: { internal: true, channel: null, source: null, referrerHost: 'www.example.com', referrerCategory: null },
  },
  { name: 'www and apex are one site', view: landing('', 'https://example.com/'), expected: { internal: true } },
  {
    name: 'subdomain is external without siteDomains',
    view: landing('', 'https://blog.example.com/'),
    expected: { internal: false, channel: 'Referral' },
  },
  {
    name: 'subdomain of a site domain',
    view: { ...landing('', 'https://blog.example.com/'), siteDomains: ['example.com'] },
    expected: { internal: true },
  },
  {
    name: 'another of the site domains',
    view: { ...landing('', 'https://shop.example.org/'), siteDomains: ['example.com', 'example.org'] },
    expected: { internal: true },
  },
  {
    name: 'site domain referrer to a page off the site domains',
    view: { url: 'https://partner.net/', referrer: 'https://blog.example.com/', siteDomains: ['example.com'] },
    expected: { internal: false },
  },
  {
    name: 'relative page URL counts as on the site',
    view: { url: '/pricing', referrer: 'https://app.example.com/', siteDomains: ['example.com'] },
    expected: { internal: true, landingUrl: '/pricing' },
  },
  {
    name: 'site domains written as URL, wildcard, upper case',
    view: { ...landing('', 'https://docs.example.com/'), siteDomains: ['HTTPS://Example.NET/', '*.example.com'] },
    expected: { internal: true },
  },
  {
    name: 'payment page is an unwanted referral',
    view: landing('', STRIPE),
    expected: { internal: true, referrerHost: 'checkout.stripe.com' },
  },
  { name: 'unwanted referral covers subdomains', view: landing('', 'https://www.paypal.com/checkoutnow'), expected: { internal: true } },
  { name: 'sign-in page is an unwanted referral', view: landing('', 'https://accounts.google.com/o/oauth2'), expected: { internal: true } },
  {
    name: 'unwantedReferrals replaces the default list',
    view: { ...landing('', STRIPE), unwantedReferrals: ['pay.psp.example'] },
    expected: { internal: false, channel: 'Referral' },
  },
  {
    name: 'a custom unwanted referral',
    view: { ...landing('', 'https://pay.psp.example/'), unwantedReferrals: ['pay.psp.example'] },
    expected: { internal: true },
  },
  {
    name: 'internal referrer with UTM is a touch',
    view: landing('utm_source=newsletter&utm_medium=email', 'https://www.example.com/'),
    expected: { internal: false, channel: 'Email', referrerHost: 'www.example.com', referrerName: null, referrerCategory: null },
  },
  {
    name: 'internal referrer with gclid is a touch',
    view: landing('gclid=abc', 'https://www.example.com/'),
    expected: { internal: false, channel: 'Paid Search', clickId: 'abc' },
  },
  {
    name: 'internal referrer with fbclid: the referrer does not count',
    view: landing('fbclid=xyz', 'https://www.example.com/'),
    expected: { internal: false, channel: 'Direct', clickId: 'xyz', clickIdParam: 'fbclid' },
  },
  {
    name: 'unwanted referral with a Segment campaign is a touch',
    view: { ...landing('', STRIPE), campaign: { source: 'newsletter', medium: 'email' } },
    expected: { internal: false, channel: 'Email' },
  },
];

const clickIds: Case[] = [
  {
    name: 'gclid',
    view: landing('gclid=Cj0KCQ', 'https://www.google.com/'),
    expected: { channel: 'Paid Search', source: 'google', medium: 'cpc', clickId: 'Cj0KCQ', clickIdParam: 'gclid', referrerName: 'Google' },
  },
  { name: 'gbraid', view: landing('gbraid=0AAAA'), expected: { source: 'google', medium: 'cpc', clickIdParam: 'gbraid' } },
  { name: 'wbraid', view: landing('wbraid=ClkK'), expected: { source: 'google', medium: 'cpc', clickIdParam: 'wbraid' } },
  {
    name: 'gad_source',
    view: landing('gad_source=1'),
    expected: { source: 'google', medium: 'cpc', clickId: '1', clickIdParam: 'gad_source' },
  },
  { name: 'dclid', view: landing('dclid=CJ'), expected: { source: 'google', medium: 'cpc', clickIdParam: 'dclid' } },
  {
    name: 'msclkid',
    view: landing('msclkid=9f8e', 'https://www.bing.com/'),
    expected: { channel: 'Paid Search', source: 'bing', medium: 'cpc', clickIdParam: 'msclkid' },
  },
  { name: 'ttclid', view: landing('ttclid=E.C.P'), expected: { channel: 'Paid Social', source: 'tiktok', medium: 'cpc' } },
  { name: 'twclid', view: landing('twclid=2-abc'), expected: { channel: 'Paid Social', source: 'twitter', medium: 'cpc' } },
  { name: 'li_fat_id', view: landing('li_fat_id=77a'), expected: { channel: 'Paid Social', source: 'linkedin', medium: 'cpc' } },
  {
    name: 'fbclid is not paid: classified from the referrer',
    view: landing('fbclid=IwAR', 'https://l.facebook.com/'),
    expected: { channel: 'Organic Social', source: 'facebook', medium: 'social', clickId: 'IwAR', clickIdParam: 'fbclid' },
  },
  { name: 'fbclid without referrer', view: landing('fbclid=IwAR'), expected: { channel: 'Direct', clickId: 'IwAR' } },
  {
    name: 'UTM wins over a click id, which is kept',
    view: landing('gclid=abc&utm_source=newsletter&utm_medium=email'),
    expected: { channel: 'Email', source: 'newsletter', clickId: 'abc', clickIdParam: 'gclid' },
  },
  {
    name: 'gclid wins over fbclid',
    view: landing('fbclid=f&gclid=g'),
    expected: { clickId: 'g', clickIdParam: 'gclid', channel: 'Paid Search' },
  },
  {
    name: 'an empty click id proves nothing',
    view: landing('gclid=', 'https://t.co/x'),
    expected: { channel: 'Organic Social', clickId: null, clickIdParam: null },
  },
  { name: 'click id keys in any case', view: landing('GCLID=abc'), expected: { clickIdParam: 'gclid', clickId: 'abc' } },
];

const utmEdges: Case[] = [
  {
    name: 'repeated key keeps its first value',
    view: landing('utm_source=first&utm_source=second&utm_medium=email'),
    expected: { source: 'first' },
  },
  { name: 'missing medium is (not set)', view: landing('utm_source=newsletter'), expected: { source: 'newsletter', medium: '(not set)' } },
  {
    name: 'missing source is (not set)',
    view: landing('utm_medium=email'),
    expected: { source: '(not set)', medium: 'email', channel: 'Email' },
  },
  {
    name: 'content and term are kept',
    view: landing('utm_source=google&utm_medium=cpc&utm_term=crm+tool&utm_content=ad-b'),
    expected: { term: 'crm tool', content: 'ad-b' },
  },
  {
    name: '+ and %20 are spaces',
    view: landing('utm_source=x&utm_campaign=spring+sale%202025'),
    expected: { campaign: 'spring sale 2025' },
  },
  {
    name: 'malformed % sequences are kept',
    view: landing('utm_source=x&utm_campaign=100%25+off%ZZ%'),
    expected: { campaign: '100% off%ZZ%' },
  },
  { name: 'bare % in a value', view: landing('utm_source=x&utm_campaign=50%off'), expected: { campaign: '50%off' } },
  { name: 'UTF-8 percent-encoding', view: landing('utm_source=x&utm_campaign=%C3%A9t%C3%A9'), expected: { campaign: 'été' } },
  { name: 'invalid UTF-8 becomes U+FFFD', view: landing('utm_source=x&utm_campaign=a%FFb'), expected: { campaign: 'a\uFFFDb' } },
  {
    name: 'utm_id names the campaign when utm_campaign is missing',
    view: landing('utm_id=cmp_123&utm_source=google&utm_medium=cpc'),
    expected: { campaign: 'cmp_123' },
  },
  { name: 'utm_campaign wins over utm_id', view: landing('utm_id=cmp_123&utm_campaign=spring'), expected: { campaign: 'spring' } },
  {
    name: 'utm_source_platform alone marks the URL as tagged',
    view: landing('utm_source_platform=Google%20Ads', 'https://t.co/x'),
    expected: { source: '(not set)', medium: '(not set)', channel: 'Unassigned' },
  },
  { name: '"undefined" from a tag is no value', view: landing('utm_source=undefined&utm_medium=email'), expected: { source: '(not set)' } },
  { name: 'whitespace-only value is no value', view: landing('utm_source=%20%20&utm_medium=email'), expected: { source: '(not set)' } },
  {
    name: 'values are trimmed',
    view: landing('utm_source=+google+&utm_medium=cpc+'),
    expected: { source: 'google', medium: 'cpc', channel: 'Paid Search' },
  },
  {
    name: 'empty UTM values do not tag the URL',
    view: landing('utm_source=&utm_medium=', 'https://t.co/x'),
    expected: { channel: 'Organic Social' },
  },
  {
    name: 'UTM keys in any case',
    view: landing('UTM_Source=newsletter&Utm_Medium=email'),
    expected: { source: 'newsletter', channel: 'Email' },
  },
  {
    name: 'values keep their case; rules compare lower case',
    view: landing('utm_source=Facebook&utm_medium=CPC'),
    expected: { source: 'Facebook', medium: 'CPC', channel: 'Paid Social' },
  },
  {
    name: 'UTM in the fragment is ignored',
    view: { url: `${PAGE}#utm_source=x&utm_medium=email`, referrer: '' },
    expected: { channel: 'Direct' },
  },
  {
    name: 'Segment campaign when the URL has no UTM',
    view: { url: PAGE, referrer: '', campaign: { name: 'spring', source: 'newsletter', medium: 'email', term: 'crm', content: 'hero' } },
    expected: { channel: 'Email', source: 'newsletter', medium: 'email', campaign: 'spring', term: 'crm', content: 'hero' },
  },
  {
    name: 'URL UTM wins over Segment campaign',
    view: { url: `${PAGE}?utm_source=google&utm_medium=cpc`, referrer: '', campaign: { source: 'newsletter', medium: 'email' } },
    expected: { source: 'google', channel: 'Paid Search' },
  },
  {
    name: 'Segment campaign with junk fields',
    view: { url: PAGE, referrer: '', campaign: { source: 42, medium: ['x'], name: '' } as never },
    expected: { channel: 'Direct' },
  },
];

const referrers: Case[] = [
  {
    name: 'Bing search term',
    view: landing('', 'https://www.bing.com/search?q=segment+attribution&form=QBLH'),
    expected: { source: 'bing', searchTerm: 'segment attribution', referrerName: 'Bing' },
  },
  {
    name: 'DuckDuckGo (additions)',
    view: landing('', 'https://duckduckgo.com/'),
    expected: { channel: 'Organic Search', source: 'duckduckgo', referrerName: 'DuckDuckGo' },
  },
  {
    name: 'search without a term',
    view: landing('', 'https://www.google.com/'),
    expected: { channel: 'Organic Search', searchTerm: null, term: null },
  },
  {
    name: 'Gmail app',
    view: landing('', 'android-app://com.google.android.gm'),
    expected: { channel: 'Email', source: 'gmail', referrerName: 'Gmail', referrerHost: 'com.google.android.gm' },
  },
  {
    name: 'Google app',
    view: landing('', 'android-app://com.google.android.googlequicksearchbox/https/www.google.com'),
    expected: { channel: 'Organic Search', source: 'google' },
  },
  {
    name: 'unknown app',
    view: landing('', 'android-app://org.example.reader/'),
    expected: { channel: 'Referral', source: 'org.example.reader', referrerCategory: 'unknown' },
  },
  {
    name: 'app ids match exactly, not by suffix',
    view: landing('', 'android-app://com.google.android.gm.lite'),
    expected: { referrerCategory: 'unknown' },
  },
  {
    name: 'IDN host as punycode',
    view: landing('', 'https://bücher.de/katalog'),
    expected: { referrerHost: 'xn--bcher-kva.de', source: 'xn--bcher-kva.de', channel: 'Referral' },
  },
  {
    name: 'upper-case referrer',
    view: landing('', 'HTTPS://WWW.GOOGLE.COM/search?Q=Shout'),
    expected: { source: 'google', searchTerm: 'Shout' },
  },
  {
    name: 'referrer without scheme',
    view: landing('', 'www.google.com/search?q=no+scheme'),
    expected: { source: 'google', searchTerm: 'no scheme' },
  },
  { name: 'protocol-relative referrer', view: landing('', '//t.co/abc'), expected: { source: 'twitter' } },
  {
    name: 'credentials and port',
    view: landing('', 'https://user:pw@news.ycombinator.com:443/item?id=1'),
    expected: { referrerHost: 'news.ycombinator.com', referrerName: 'Hacker News', channel: 'Organic Social' },
  },
  {
    name: 'display ad server',
    view: landing('', 'https://pagead2.googlesyndication.com/'),
    expected: { channel: 'Display', source: 'google', medium: 'display', referrerCategory: 'paid' },
  },
  {
    name: 'search ad server',
    view: landing('', 'https://www.googleadservices.com/pagead/aclk'),
    expected: { channel: 'Paid Search', source: 'google', medium: 'cpc' },
  },
  {
    name: 'Perplexity',
    view: landing('', 'https://www.perplexity.ai/search/abc'),
    expected: { channel: 'AI Assistants', source: 'perplexity' },
  },
  {
    name: 'host listed only with www. in the data',
    view: landing('', 'https://pricerunner.co.uk/'),
    expected: { referrerName: 'PriceRunner', channel: 'Organic Shopping' },
  },
  {
    name: 'known source of unknown medium stays a referral',
    view: landing('', 'https://support.google.com/a/answer'),
    expected: { channel: 'Referral', source: 'support.google.com', referrerName: 'Google', referrerCategory: 'unknown' },
  },
  {
    name: 'path entry: Google Images',
    view: landing('', 'https://www.google.de/imgres?q=k'),
    expected: { referrerName: 'Google Images', source: 'google', searchTerm: 'k' },
  },
  {
    name: 'path entries match whole segments',
    view: landing('', 'https://www.google.de/imgresults?q=k'),
    expected: { referrerName: 'Google' },
  },
];

const LONG = 'x'.repeat(100_000);
const junk: Case[] = [
  {
    name: 'garbage everywhere',
    view: { url: 'not a url', referrer: 'also not a url' },
    expected: { channel: 'Direct', landingUrl: 'not a url', referrerHost: null },
  },
  { name: 'about:blank referrer', view: landing('', 'about:blank'), expected: { channel: 'Direct', referrerHost: null } },
  { name: 'javascript: referrer', view: landing('', 'javascript:void(0)'), expected: { channel: 'Direct' } },
  { name: 'nulls', view: { url: null, referrer: null }, expected: { channel: 'Direct', landingUrl: null } },
  { name: '"undefined" strings', view: { url: 'undefined', referrer: 'undefined' }, expected: { channel: 'Direct', landingUrl: null } },
  { name: 'non-string values', view: { url: 42, referrer: { href: 'x' } } as never, expected: { channel: 'Direct', landingUrl: null } },
  { name: 'no page view at all', view: null as never, expected: { channel: 'Direct', internal: false } },
  {
    name: 'relative page URL with UTM',
    view: { url: '/pricing?utm_source=newsletter&utm_medium=email', referrer: '' },
    expected: { channel: 'Email' },
  },
  {
    name: 'page URL without scheme',
    view: { url: 'example.com/?utm_source=acme&utm_medium=cpc', referrer: '' },
    expected: { channel: 'Paid Other' },
  },
  {
    name: 'IPv6 page URL',
    view: { url: 'http://[::1]:3000/?utm_medium=email', referrer: 'http://[::1]:3000/a' },
    expected: { internal: false, channel: 'Email' },
  },
  { name: 'unclosed IPv6 referrer', view: landing('', 'http://[::1'), expected: { channel: 'Direct', referrerHost: null } },
  {
    name: 'host longer than DNS allows',
    view: landing('', `https://${'a'.repeat(300)}.com/`),
    expected: { channel: 'Direct', referrerHost: null },
  },
  {
    name: 'invalid characters in the host',
    view: landing('', 'https://exa mple.com/'),
    expected: { channel: 'Direct', referrerHost: null },
  },
  {
    name: 'leading and trailing whitespace',
    view: { url: `  ${PAGE}  `, referrer: '\n https://t.co/x \t' },
    expected: { landingUrl: PAGE, source: 'twitter' },
  },
  { name: 'trailing dot in the host', view: landing('', 'https://t.co./x'), expected: { source: 'twitter', referrerHost: 't.co' } },
  { name: 'backslashes as slashes', view: landing('', 'https:\\\\t.co\\x'), expected: { source: 'twitter' } },
];

const ALL: Case[] = [...channelRules, ...internalDetection, ...clickIds, ...utmEdges, ...referrers, ...junk];

describe('classifyTouch', () => {
  it('covers at least 80 cases', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(80);
  });

  describe.each([
    ['channel rules', channelRules],
    ['internal detection', internalDetection],
    ['click ids', clickIds],
    ['UTM edge cases', utmEdges],
    ['referrers', referrers],
    ['junk input', junk],
  ] as const)('%s', (_, cases) => {
    it.each(cases)('$name', ({ view, expected }) => {
      const touch = classifyTouch(view);

      expect(touchSourceSchema.parse(touch)).toEqual(touch);
      expect(pick(touch, Object.keys(expected) as Array<keyof TouchSource>)).toEqual(expected);
    });
  });

  describe('bounds', () => {
    it('cuts an absurdly long URL to 2,000 characters', () => {
      const touch = classifyTouch({ url: `${PAGE}?q=${LONG}`, referrer: `https://t.co/${LONG}` });

      expect(touch.landingUrl).toHaveLength(2_000);
      expect(touch.source).toBe('twitter');
    });

    it('cuts any other value to 500 characters', () => {
      const long = 'y'.repeat(5_000);
      const touch = classifyTouch(landing(`utm_source=${long}&utm_campaign=${long}&utm_medium=email`));

      expect(touch.source).toHaveLength(500);
      expect(touch.campaign).toHaveLength(500);
      expect(touch.channel).toBe('Email');
    });

    it('never cuts a surrogate pair in half', () => {
      const touch = classifyTouch(landing(`utm_source=x&utm_campaign=${'a'.repeat(499)}${'😀'.repeat(3)}`));

      expect(touch.campaign).toHaveLength(499);
    });

    it('reads parameters within the first 16 KiB of a URL only', () => {
      const touch = classifyTouch(landing(`pad=${'p'.repeat(20_000)}&utm_source=late&utm_medium=email`));

      expect(touch.channel).toBe('Direct');
    });
  });
});

function pick(touch: TouchSource, keys: ReadonlyArray<keyof TouchSource>): Partial<TouchSource> {
  return Object.fromEntries(keys.map((key) => [key, touch[key]]));
}
