import { z } from 'zod';

/**
 * GA4's default channel group plus "AI Assistants" (docs/decisions/0002-source-detection.md).
 * The order here is the evaluation order of the channel rules.
 */
export const CHANNELS = [
  'Direct',
  'Cross-network',
  'Paid Shopping',
  'Paid Search',
  'Paid Social',
  'Paid Video',
  'Display',
  'Paid Other',
  'Organic Shopping',
  'Organic Social',
  'Organic Video',
  'AI Assistants',
  'Organic Search',
  'Referral',
  'Email',
  'Affiliates',
  'Audio',
  'SMS',
  'Mobile Push Notifications',
  'Unassigned',
] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

export const REFERRER_CATEGORIES = ['search', 'social', 'email', 'chatbot', 'paid', 'unknown'] as const;
export const referrerCategorySchema = z.enum(REFERRER_CATEGORIES);
export type ReferrerCategory = z.infer<typeof referrerCategorySchema>;

/** A nullable string that is never empty: unknown values are null, not "" or "undefined". */
const known = z.string().min(1).nullable();

/**
 * What source detection says about one page view. The field names are a public contract:
 * the attribution service answers this object over HTTP and carries it on every touch.
 */
export const touchSourceSchema = z.object({
  internal: z.boolean(),
  channel: channelSchema.nullable(),
  source: known,
  medium: known,
  campaign: known,
  term: known,
  content: known,
  referrerHost: known,
  referrerName: known,
  referrerCategory: referrerCategorySchema.nullable(),
  searchTerm: known,
  clickId: known,
  clickIdParam: known,
  landingUrl: known,
});
export type TouchSource = z.infer<typeof touchSourceSchema>;
