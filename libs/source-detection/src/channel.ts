import type { Channel } from '@touchstream/contracts';
import { SITE } from './site-kinds';

/** The channel rules' regular expressions, compiled once. */
const PAID_MEDIUM = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const SHOPPING_CAMPAIGN = /^(.*(([^a-df-z]|^)shop|shopping).*)$/;
const VIDEO_MEDIUM = /^(.*video.*)$/;
const DISPLAY_MEDIA: ReadonlySet<string> = new Set(['display', 'banner', 'expandable', 'interstitial', 'cpm']);
const SOCIAL_MEDIA: ReadonlySet<string> = new Set(['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']);
const REFERRAL_MEDIA: ReadonlySet<string> = new Set(['referral', 'app', 'link']);
const EMAIL_NAMES: ReadonlySet<string> = new Set(['email', 'e-mail', 'e_mail', 'e mail']);

/** What the channel rules read: lower-case source, medium and campaign, and the source's SITE bits. */
export interface ChannelInput {
  readonly source: string;
  readonly medium: string;
  readonly campaign: string;
  readonly sites: number;
}

/**
 * GA4's default channel group plus AI Assistants, rule by rule in order:
 * the first rule that matches wins.
 */
export function channelOf({ source, medium, campaign, sites }: ChannelInput): Channel {
  if (source === '(direct)' && (medium === '(none)' || medium === '(not set)')) return 'Direct';
  if (campaign.includes('cross-network')) return 'Cross-network';
  const paid = PAID_MEDIUM.test(medium);
  const shopping = (sites & SITE.shopping) !== 0 || SHOPPING_CAMPAIGN.test(campaign);
  if (paid) {
    if (shopping) return 'Paid Shopping';
    if (sites & SITE.search) return 'Paid Search';
    if (sites & SITE.social) return 'Paid Social';
    if (sites & SITE.video) return 'Paid Video';
  }
  if (DISPLAY_MEDIA.has(medium)) return 'Display';
  if (paid) return 'Paid Other';
  if (shopping) return 'Organic Shopping';
  if (sites & SITE.social || SOCIAL_MEDIA.has(medium)) return 'Organic Social';
  if (sites & SITE.video || VIDEO_MEDIUM.test(medium)) return 'Organic Video';
  if (sites & SITE.ai || medium === 'ai') return 'AI Assistants';
  if (sites & SITE.search || medium === 'organic') return 'Organic Search';
  if (REFERRAL_MEDIA.has(medium)) return 'Referral';
  if (EMAIL_NAMES.has(source) || EMAIL_NAMES.has(medium)) return 'Email';
  if (medium === 'affiliate') return 'Affiliates';
  if (medium === 'audio') return 'Audio';
  if (source === 'sms' || medium === 'sms') return 'SMS';
  if (medium.endsWith('push') || medium.includes('mobile') || medium.includes('notification')) {
    return 'Mobile Push Notifications';
  }
  return 'Unassigned';
}
