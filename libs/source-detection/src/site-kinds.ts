import type { ReferrerCategory } from '@touchstream/contracts';
import type { SiteKind } from './referrer-additions';

/** Site kinds as bits, so that one number says everything the channel rules ask about a source. */
export const SITE = { search: 1, social: 2, video: 4, shopping: 8, ai: 16 } as const satisfies Record<SiteKind, number>;

/** The site kind implied by a referrer database section. */
export function siteOfCategory(category: ReferrerCategory): number {
  switch (category) {
    case 'search':
      return SITE.search;
    case 'social':
      return SITE.social;
    case 'chatbot':
      return SITE.ai;
    case 'email':
    case 'paid':
    case 'unknown':
      return 0;
  }
}
