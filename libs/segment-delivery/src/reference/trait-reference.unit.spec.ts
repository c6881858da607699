import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sessionIdOf, TOUCHSTREAM_LIBRARY_NAME, touchIdOf, type TouchData } from '@touchstream/contracts';
import { classifyTouch } from '@touchstream/source-detection';
import { SOURCE_FIELD_KEYS, sourceFieldsOf } from '../source-fields';
import { SOURCE_FIELD_DOCS } from './field-docs';
import { ALWAYS_PRESENT_KEYS, renderTraitReference, type ReferenceInput, type ReferenceSample } from './render-reference';

const DOC = resolve(__dirname, '../../../../docs/traits.md');

/** A touch as attribution records it: classified by the real source detection. */
function sample(label: string, messageId: string, occurredAt: string, url: string | null, referrer: string | null): ReferenceSample {
  const touch: TouchData = {
    touchId: touchIdOf(messageId),
    anonymousId: 'anon-7',
    userId: 'user-42',
    sessionId: sessionIdOf(messageId),
    messageId,
    occurredAt,
    url,
    referrer,
    source: classifyTouch({ url, referrer, siteDomains: ['shop.example'] }),
    status: 'recorded',
    revision: 1,
  };
  return { label, touch };
}

const SAMPLES: ReferenceSample[] = [
  sample(
    'organic search',
    'ref-1',
    '2026-03-02T10:00:00.000Z',
    'https://shop.example/shoes',
    'https://www.bing.com/search?q=trail+running+shoes',
  ),
  sample(
    'paid social',
    'ref-2',
    '2026-03-09T10:00:00.000Z',
    'https://shop.example/sale?utm_source=facebook&utm_medium=paid_social&utm_campaign=spring&utm_content=carousel&fbclid=IwAR2x',
    'https://l.facebook.com/',
  ),
  sample(
    'paid search',
    'ref-3',
    '2026-03-10T09:30:00.000Z',
    'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=trail+shoes&gclid=EAIaIQobChMI',
    'https://www.google.com/',
  ),
  sample('webmail', 'ref-4', '2026-03-11T08:00:00.000Z', 'https://shop.example/order/123', 'https://mail.yahoo.com/'),
  sample('AI assistant', 'ref-5', '2026-03-12T16:20:00.000Z', 'https://shop.example/pricing', 'https://chatgpt.com/'),
  sample('direct', 'ref-6', '2026-03-13T12:00:00.000Z', 'https://shop.example/', null),
  sample('app screen without URL', 'ref-7', '2026-03-14T07:45:00.000Z', null, 'android-app://com.linkedin.android'),
];

const INPUT: ReferenceInput = {
  samples: SAMPLES,
  identify: { userId: 'user-42', first: SAMPLES[0]!, last: SAMPLES[1]!, recordedAt: '2026-03-09T10:00:02.000Z' },
  track: { sample: SAMPLES[1]!, userId: 'user-42' },
  settings: { sourceIdentifiedEvent: 'Source Identified', library: { name: TOUCHSTREAM_LIBRARY_NAME, version: '0.1.0' } },
};

describe('docs/traits.md, the trait and event reference', () => {
  it('is what the code renders (regenerate with `npm run docs:reference`)', () => {
    const rendered = renderTraitReference(INPUT);
    if (process.env.WRITE_DOCS === '1') writeFileSync(DOC, rendered);
    expect(readFileSync(DOC, 'utf8'), 'docs/traits.md is out of date: run `npm run docs:reference`').toBe(rendered);
  });

  it('documents exactly the keys the calls are built from', () => {
    expect(Object.keys(SOURCE_FIELD_DOCS).sort()).toEqual([...SOURCE_FIELD_KEYS].sort());
  });

  it('has an example for every key and shows each documented as sometimes left out being left out', () => {
    const outputs = SAMPLES.map((entry) => sourceFieldsOf(entry.touch));
    for (const key of SOURCE_FIELD_KEYS) {
      expect(
        outputs.some((fields) => fields[key] !== undefined),
        `${key} has no example`,
      ).toBe(true);
      if (ALWAYS_PRESENT_KEYS.includes(key)) {
        expect(
          outputs.every((fields) => fields[key] !== undefined),
          `${key} is documented as always sent`,
        ).toBe(true);
      } else {
        expect(
          outputs.some((fields) => fields[key] === undefined),
          `${key} is never left out in the samples`,
        ).toBe(true);
      }
    }
    for (const fields of outputs) {
      for (const value of Object.values(fields)) expect(value).toMatch(/\S/);
    }
  });
});
