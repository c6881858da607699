import { type TouchSource, touchSourceSchema } from '@touchstream/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PageView, classifyTouch } from './classify-touch';
import { MAX_URL_LENGTH, MAX_VALUE_LENGTH } from './text-bounds';

// Any UTF-16 text, lone surrogates included.
const anyText = fc.string({ unit: 'binary', maxLength: 200 });
const junkEscapes = fc.constantFrom('%', '%E0%A4', '%ZZ', '%FF%FE', '+', '%25', '%2', '&&', '==', '#', '?');
const fragment = fc.oneof(anyText, junkEscapes, fc.string({ maxLength: 30 }));

const scheme = fc.constantFrom(
  'https://',
  'http://',
  'HTTPS://',
  '//',
  '',
  'android-app://',
  'about:',
  'javascript:',
  'https:\\\\',
  'ftp://',
);
const host = fc.oneof(
  fc.domain(),
  fc.constantFrom('www.google.com', 't.co', 'l.facebook.com', 'chatgpt.com', 'mail.google.com', 'www.example.com', 'example.com'),
  fc.constantFrom(
    'checkout.stripe.com',
    'bücher.de',
    'ΠΑΡΆΔΕΙΓΜΑ.δοκιμή',
    '[::1]',
    '[::1',
    'com.google.android.gm',
    'undefined',
    'a..b',
    '.',
  ),
  anyText,
);
const key = fc.oneof(
  fc.constantFrom('utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'utm_id', 'utm_source_platform'),
  fc.constantFrom(
    'gclid',
    'gbraid',
    'wbraid',
    'gad_source',
    'dclid',
    'msclkid',
    'ttclid',
    'twclid',
    'li_fat_id',
    'fbclid',
    'q',
    'p',
    'UTM_SOURCE',
  ),
  fragment,
);
const value = fc.oneof(fragment, fc.constantFrom('cpc', 'email', 'google', 'facebook', '(direct)', '(none)', 'undefined', ''));
const query = fc.array(fc.tuple(key, value), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

/** Strings shaped like URLs, with junk in every part. */
const urlLike = fc
  .tuple(scheme, host, fc.option(fc.nat(70_000)), fc.oneof(fc.constant('/'), fc.webPath(), fragment), fc.option(query), fc.option(fragment))
  .map(
    ([s, h, port, path, q, hash]) =>
      `${s}${h}${port === null ? '' : `:${port}`}${path}${q === null ? '' : `?${q}`}${hash === null ? '' : `#${hash}`}`,
  );
const urlInput = fc.oneof(
  urlLike,
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  anyText,
  fc.constantFrom(null, undefined, ''),
);

const campaign = fc.oneof(
  fc.record(
    { name: fc.option(value), source: fc.option(value), medium: fc.option(value), term: fc.option(value), content: fc.option(value) },
    { requiredKeys: [] },
  ),
  fc.anything(),
);
const domains = fc.option(fc.array(fc.oneof(fc.domain(), host, anyText), { maxLength: 4 }));

const pageView: fc.Arbitrary<PageView> = fc.record(
  { url: urlInput, referrer: urlInput, campaign, siteDomains: domains, unwantedReferrals: domains },
  { requiredKeys: ['url', 'referrer'] },
) as fc.Arbitrary<PageView>;

function expectWellFormed(touch: TouchSource): void {
  expect(touchSourceSchema.parse(touch)).toEqual(touch);
  expect(touch.channel === null).toBe(touch.internal);
  for (const [field, text] of Object.entries(touch)) {
    if (typeof text !== 'string') continue;
    expect(text.length, field).toBeLessThanOrEqual(field === 'landingUrl' ? MAX_URL_LENGTH : MAX_VALUE_LENGTH);
    expect(['', 'undefined', 'null'], field).not.toContain(text.trim().toLowerCase());
  }
}

// Generous timeouts: the 2-core machines are shared with builds; the runs themselves take ~1 s.
describe('classifyTouch properties', { timeout: 60_000 }, () => {
  it('classifies any page view into a well-formed touch, never throwing', () => {
    fc.assert(
      fc.property(pageView, (view) => {
        expectWellFormed(classifyTouch(view));
      }),
      { numRuns: 2_000 },
    );
  });

  it('classifies any value at all, even one that is no page view', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        expectWellFormed(classifyTouch(input as PageView));
      }),
      { numRuns: 1_000 },
    );
  });

  it('is deterministic: the same page view, or a copy of it, gives the same touch', () => {
    fc.assert(
      fc.property(pageView, (view) => {
        const first = classifyTouch(view);

        expect(classifyTouch(view)).toEqual(first);
        expect(classifyTouch({ ...view, siteDomains: view.siteDomains ? [...view.siteDomains] : view.siteDomains })).toEqual(first);
      }),
      { numRuns: 2_000 },
    );
  });
});
