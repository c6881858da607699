/** A click id parameter and what it proves about the click. */
export interface ClickIdRule {
  readonly param: string;
  /** null when the id is no evidence of a paid click: the touch is classified from the referrer. */
  readonly paid: { readonly source: string; readonly medium: string } | null;
}

/** In order of precedence when a URL carries several. */
export const CLICK_ID_RULES: readonly ClickIdRule[] = [
  { param: 'gclid', paid: { source: 'google', medium: 'cpc' } },
  { param: 'gbraid', paid: { source: 'google', medium: 'cpc' } },
  { param: 'wbraid', paid: { source: 'google', medium: 'cpc' } },
  { param: 'gad_source', paid: { source: 'google', medium: 'cpc' } },
  { param: 'dclid', paid: { source: 'google', medium: 'cpc' } },
  { param: 'msclkid', paid: { source: 'bing', medium: 'cpc' } },
  { param: 'ttclid', paid: { source: 'tiktok', medium: 'cpc' } },
  { param: 'twclid', paid: { source: 'twitter', medium: 'cpc' } },
  { param: 'li_fat_id', paid: { source: 'linkedin', medium: 'cpc' } },
  // Meta adds fbclid to paid and organic clicks alike (PostHog ignores it for the same reason).
  { param: 'fbclid', paid: null },
];
