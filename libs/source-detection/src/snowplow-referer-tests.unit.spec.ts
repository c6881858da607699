import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ReferrerCategory } from '@touchstream/contracts';
import { describe, expect, it } from 'vitest';
import { classifyTouch } from './classify-touch';

/** One case of Snowplow referer-parser's own test suite. */
interface SnowplowCase {
  spec: string;
  uri: string;
  medium: string;
  source: string | null;
  term: string | null;
  known: boolean;
}

// Snowplow referer-parser's resources/referer-tests.json, kept in the repository (NOTICE).
const casesFile = resolve(__dirname, '..', 'test-data', 'snowplow-referer-tests.json');
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as SnowplowCase[];

// Snowplow's media are our referrer categories; their "chatbot" is our chatbot, "unknown" our unknown.
const CATEGORY_OF_MEDIUM: Record<string, ReferrerCategory> = {
  search: 'search',
  social: 'social',
  email: 'email',
  chatbot: 'chatbot',
  paid: 'paid',
  unknown: 'unknown',
};

describe("Snowplow referer-parser's test suite", () => {
  it('has all 118 cases', () => {
    expect(cases).toHaveLength(118);
  });

  it.each(cases)('$spec', ({ uri, medium, source, term }) => {
    const touch = classifyTouch({ url: 'https://touchstream.example/landing', referrer: uri });

    expect({
      referrerCategory: touch.referrerCategory,
      referrerName: touch.referrerName,
      searchTerm: touch.searchTerm,
    }).toEqual({
      referrerCategory: CATEGORY_OF_MEDIUM[medium] ?? `unmapped medium ${medium}`,
      referrerName: source,
      searchTerm: term,
    });
  });
});
