import type { ReferrerCategory } from '@touchstream/contracts';

/**
 * The medium of a touch from each referrer database section. An entry may
 * name its own (an ad network's display). Typed against the contract, so a new
 * category in @touchstream/contracts fails to compile here until it gets a medium.
 */
export const MEDIUM_OF_CATEGORY = {
  search: 'organic',
  social: 'social',
  email: 'email',
  chatbot: 'ai',
  paid: 'cpc',
  unknown: 'referral',
} as const satisfies Record<ReferrerCategory, string>;

export function isReferrerCategory(value: string): value is ReferrerCategory {
  return Object.hasOwn(MEDIUM_OF_CATEGORY, value);
}
