/** Longest URL kept on a touch (landingUrl): browsers and Segment accept far longer ones. */
export const MAX_URL_LENGTH = 2_000;
/** Longest value kept in any other field of a touch. */
export const MAX_VALUE_LENGTH = 500;
/**
 * Longest input that is parsed at all: a URL longer than this is cut before parsing so that a
 * multi-megabyte value costs no more than a long real one. Parameters past the cut are lost.
 */
export const MAX_PARSED_LENGTH = 16_384;

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const cut = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}

/**
 * A user-supplied value as a touch field: trimmed and bounded, or null when there is nothing in it.
 * "undefined" and "null" count as nothing: they are what a JavaScript tag sends for a missing value.
 */
export function cleanValue(value: unknown, max: number = MAX_VALUE_LENGTH): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text.length === 0 || isNullWord(text)) return null;
  return boundText(text, max);
}

/** "null" or "undefined" in any case: what string concatenation makes of a missing value. */
export function isNullWord(text: string): boolean {
  if (text.length !== 4 && text.length !== 9) return false;
  const lower = text.toLowerCase();
  return lower === 'null' || lower === 'undefined';
}
