import { describe, expect, it } from 'vitest';
import { trackCall, type CallSettings, type SegmentTrack } from './calls';
import { fitEvent, utf8Bytes } from './event-size';
import { touch, touchSource } from './testing/fixtures';

const settings: CallSettings = {
  sourceIdentifiedEvent: 'Source Identified',
  library: { name: 'touchstream-segment-sink', version: '0.1.0' },
};

function trackWith(overrides: Parameters<typeof touch>[0]): SegmentTrack {
  const call = trackCall(touch(overrides), null, settings);
  if (call === null) throw new Error('no call');
  return call;
}

describe('fitting an event into 32 KB', () => {
  it('counts UTF-8 bytes, not UTF-16 units', () => {
    expect(utf8Bytes('abc')).toBe(3);
    expect(utf8Bytes('é')).toBe(2);
    expect(utf8Bytes('日本')).toBe(6);
    expect('🚀'.length).toBe(2);
    expect(utf8Bytes('🚀')).toBe(4);
  });

  it('keeps an event under the limit as it is, with its exact serialised size', () => {
    const event = trackWith({ source: touchSource({ campaign: 'été 🚀' }) });
    const fitted = fitEvent(event, 32_000);
    expect(fitted).toEqual({ ok: true, event, json: JSON.stringify(event), bytes: Buffer.byteLength(JSON.stringify(event)), trimmed: [] });
  });

  it('measures the limit in bytes: an event short in characters but long in bytes is trimmed', () => {
    // 3,000 CJK characters: 3,000 UTF-16 units but 9,000 bytes.
    const event = trackWith({ referrer: `https://r.example/?q=${'日'.repeat(3_000)}` });
    expect(JSON.stringify(event).length).toBeLessThan(4_000);
    const fitted = fitEvent(event, 4_000);
    expect(fitted.ok).toBe(true);
    if (fitted.ok) {
      expect(fitted.trimmed).toEqual(['referrer']);
      expect(fitted.event.properties).not.toHaveProperty('referrer');
      expect(fitted.bytes).toBeLessThanOrEqual(4_000);
    }
  });

  it('drops the referrer first, then the URL, then campaign details, stopping as soon as it fits', () => {
    const long = 'x'.repeat(3_000);
    const event = trackWith({
      url: `https://a.example/?utm_campaign=c&utm_content=${long}`,
      referrer: `https://r.example/${long}`,
      source: touchSource({ source: 's', medium: 'm', campaign: 'c', content: long }),
    });
    expect(fitEvent(event, 4_000)).toMatchObject({ ok: true, trimmed: ['referrer', 'url'] });
    const fitted = fitEvent(event, 2_500);
    expect(fitted.ok && fitted.trimmed).toEqual(['referrer', 'url', 'campaign_content']);
    expect(fitted.ok && fitted.event.properties).toMatchObject({ source: 's', medium: 'm', campaign_name: 'c' });
  });

  it('refuses an event that stays too large, saying why', () => {
    const event = trackWith({ anonymousId: 'a'.repeat(40_000), referrer: 'https://r.example/' });
    const fitted = fitEvent(event, 32_000);
    expect(fitted.ok).toBe(false);
    if (!fitted.ok) {
      expect(fitted.reason).toMatch(/^track event is \d+ bytes after dropping referrer, over the 32000-byte limit per event$/);
      expect(fitted.bytes).toBeGreaterThan(40_000);
    }
  });

  it('leaves the original event untouched when it trims', () => {
    const event = trackWith({ referrer: `https://r.example/${'y'.repeat(5_000)}` });
    fitEvent(event, 1_000);
    expect(event.properties).toHaveProperty('referrer');
  });
});
