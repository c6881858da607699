import type { TouchSource } from '@touchstream/contracts';
import { campaignSignature, isInternalNavigation } from './signature';
import { DEFAULT_UNWANTED_REFERRALS, classifyTouch, type SegmentCampaign } from '@touchstream/source-detection';

export interface ClassifiedView {
  /** Source detection's answer for the view (url, referrer, campaign). */
  source: TouchSource;
  /** Internal navigation: never a touch. */
  internal: boolean;
  /** The campaign/click id the URL itself carries; null when untagged. */
  signature: string | null;
}

export interface ClassifierSettings {
  siteDomains: readonly string[];
  /** Added to source detection's DEFAULT_UNWANTED_REFERRALS. */
  extraUnwantedReferrals: readonly string[];
}

const MAX_REMEMBERED = 50_000;

/**
 * Source detection with the site's settings. The option arrays are built once and passed on
 * every call: source detection normalises an options array once per array instance.
 */
export class PageClassifier {
  private readonly siteDomains: readonly string[];
  private readonly unwantedReferrals: readonly string[];
  /**
   * Views repeat: internal navigation between the same pages, tracks carrying their page's URL
   * and referrer. Classification is a pure function of its inputs, so answers are remembered
   * (bounded: cleared when full).
   */
  private readonly remembered = new Map<string, ClassifiedView>();

  constructor(settings: ClassifierSettings) {
    this.siteDomains = [...settings.siteDomains];
    this.unwantedReferrals = [...DEFAULT_UNWANTED_REFERRALS, ...settings.extraUnwantedReferrals];
  }

  /** What POST /attribution/classify answers. */
  classify(url: string | null, referrer: string | null, campaign: SegmentCampaign | null = null): TouchSource {
    return classifyTouch({ url, referrer, campaign, siteDomains: this.siteDomains, unwantedReferrals: this.unwantedReferrals });
  }

  /** A page view's classification, internal flag and campaign signature. */
  classifyView(url: string | null, referrer: string | null, campaign: SegmentCampaign | null): ClassifiedView {
    const key = `${url ?? ''}\u0000${referrer ?? ''}\u0000${campaign === null ? '' : JSON.stringify(campaign)}`;
    let view = this.remembered.get(key);
    if (view === undefined) {
      const source = this.classify(url, referrer, campaign);
      const internal = isInternalNavigation(source);
      view = { source, internal, signature: internal ? null : this.signatureOf(url, campaign) };
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
      this.remembered.set(key, view);
    }
    return view;
  }

  /** The URL's campaign alone: classified without the referrer (only a tagged URL can differ from direct). */
  private signatureOf(url: string | null, campaign: SegmentCampaign | null): string | null {
    if (campaign === null && (url === null || !url.includes('?'))) return null;
    return campaignSignature(classifyTouch({ url, referrer: null, campaign }));
  }
}
