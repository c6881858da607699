import type { Acquisition } from './acquisition';
import type { Weighted } from './random';

/** How often each acquisition brings a visitor: on a first visit, a return visit, and once signed up. */
export const FIRST_VISIT_MIX: Weighted<Acquisition> = [
  ['organic-search', 28],
  ['paid-search', 14],
  ['paid-social', 8],
  ['organic-social', 10],
  ['email', 5],
  ['ai', 8],
  ['referral', 9],
  ['direct', 18],
];

export const RETURN_VISIT_MIX: Weighted<Acquisition> = [
  ['direct', 35],
  ['organic-search', 25],
  ['paid-search', 10],
  ['paid-social', 6],
  ['organic-social', 8],
  ['ai', 6],
  ['referral', 6],
  ['email', 4],
];

/** Signed-up users get the newsletter and come back to the app directly. */
export const CUSTOMER_VISIT_MIX: Weighted<Acquisition> = [
  ['direct', 40],
  ['email', 25],
  ['organic-search', 15],
  ['paid-search', 6],
  ['organic-social', 6],
  ['ai', 5],
  ['referral', 3],
];
