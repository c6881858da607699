import { describe, expect, it } from 'vitest';
import type { TouchSource } from '@touchstream/contracts';
import { campaignSignature, isInternalNavigation } from './signature';

const direct: TouchSource = {
  internal: false,
  channel: 'Direct',
  source: '(direct)',
  medium: '(none)',
  campaign: null,
  term: null,
  content: null,
  referrerHost: null,
  referrerName: null,
  referrerCategory: null,
  searchTerm: null,
  clickId: null,
  clickIdParam: null,
  landingUrl: 'https://shop.example/',
};

describe('campaign signature', () => {
  it('is null for an untagged URL', () => {
    expect(campaignSignature(direct)).toBeNull();
  });

  it('tells campaigns apart by every UTM value, utm_content included, and by click id', () => {
    const spring = { ...direct, channel: 'Email' as const, source: 'news', medium: 'email', campaign: 'spring', content: 'hero' };
    expect(campaignSignature(spring)).not.toBeNull();
    expect(campaignSignature(spring)).toBe(campaignSignature({ ...spring }));
    expect(campaignSignature(spring)).not.toBe(campaignSignature({ ...spring, content: 'footer' }));
    const click = { ...direct, channel: 'Paid Search' as const, source: 'google', medium: 'cpc', clickId: 'abc', clickIdParam: 'gclid' };
    expect(campaignSignature(click)).not.toBe(campaignSignature({ ...click, clickId: 'def' }));
  });

  it('counts an organic click id (fbclid: no source of its own) as tagged', () => {
    expect(campaignSignature({ ...direct, clickId: 'IwAR', clickIdParam: 'fbclid' })).not.toBeNull();
  });
});

describe('internal navigation', () => {
  it('is a view source detection calls internal, or a tagged view whose referrer is on the site (no category)', () => {
    expect(isInternalNavigation({ ...direct, internal: true, channel: null, referrerHost: 'shop.example' })).toBe(true);
    expect(isInternalNavigation({ ...direct, source: 'google', medium: 'cpc', clickId: 'x', referrerHost: 'shop.example' })).toBe(true);
    expect(isInternalNavigation({ ...direct, referrerHost: 'www.google.com', referrerCategory: 'search' })).toBe(false);
    expect(isInternalNavigation(direct)).toBe(false);
  });
});
