import type { TouchSource } from '@touchstream/contracts';

const SEPARATOR = '\u001f';

/**
 * The campaign a page URL is tagged with, from the URL's own classification (source detection
 * run without the referrer): UTM values and click id, or null when the URL carries neither.
 * Two views with the same signature bring the same campaign; a different one mid-session is a
 * new touch.
 */
export function campaignSignature(urlOnly: TouchSource): string | null {
  const untagged = urlOnly.clickId === null && urlOnly.source === '(direct)' && urlOnly.medium === '(none)' && urlOnly.campaign === null;
  if (untagged || urlOnly.internal) return null;
  return [urlOnly.source, urlOnly.medium, urlOnly.campaign, urlOnly.term, urlOnly.content, urlOnly.clickIdParam, urlOnly.clickId]
    .map((value) => value ?? '')
    .join(SEPARATOR);
}

/**
 * Internal navigation: the referrer is on the site or an unwanted referral. Source detection
 * reports a tagged URL (a gclid still in the address bar) as not internal, with the referrer's
 * host but no referrer category; attribution still treats the view as internal (a
 * gclid on internal navigation is no ad touch).
 */
export function isInternalNavigation(source: TouchSource): boolean {
  return source.internal || (source.referrerHost !== null && source.referrerCategory === null);
}
