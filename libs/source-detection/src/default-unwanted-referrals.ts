/**
 * Referrers that send a visitor back to the site mid-visit rather than bring them: payment pages
 * and sign-in providers (GA4 calls them unwanted referrals). Each matches its subdomains too.
 * Replace or extend the list through the `unwantedReferrals` option.
 */
export const DEFAULT_UNWANTED_REFERRALS: readonly string[] = [
  // payment
  'checkout.stripe.com',
  'buy.stripe.com',
  'billing.stripe.com',
  'hooks.stripe.com',
  'paypal.com',
  'checkout.shopify.com',
  'pay.shopify.com',
  'checkout.paddle.com',
  'klarna.com',
  'pay.google.com',
  'checkoutshopper-live.adyen.com',
  'secure.authorize.net',
  'braintreegateway.com',
  'pay.amazon.com',
  'payments.amazon.com',
  // sign-in
  'accounts.google.com',
  'login.microsoftonline.com',
  'login.live.com',
  'appleid.apple.com',
  'id.atlassian.com',
  'auth0.com',
  'okta.com',
  'login.salesforce.com',
];
