import { domainToASCII } from 'node:url';
import { MAX_PARSED_LENGTH, boundText, isNullWord } from './text-bounds';

/**
 * The parts of a URL that source detection reads, found in one pass. Path and query are kept as
 * positions in `text` and only cut out when read: most referrers need their host alone.
 */
export interface ParsedUrl {
  readonly text: string;
  /** Lower-case ASCII host (IDN as punycode) without credentials or port; null when there is none. */
  readonly host: string | null;
  /** The host is an Android package id (an `android-app://` referrer), not a DNS name. */
  readonly isApp: boolean;
  readonly pathStart: number;
  readonly pathEnd: number;
  /** The query without `?` and fragment is text[queryStart, queryEnd); empty when equal. */
  readonly queryStart: number;
  readonly queryEnd: number;
}

/** A DNS name is at most 253 characters; a longer "host" is garbage, not worth a lookup. */
const MAX_HOST_LENGTH = 253;

/**
 * Splits a page URL or referrer into host, path and query. Tolerant where browsers and tags are
 * sloppy: a missing scheme (`www.example.com/a`), protocol-relative and relative URLs, backslashes,
 * credentials, ports, trailing dots, non-ASCII hosts. Opaque URLs (`about:blank`, `javascript:`)
 * and text that is no URL at all have no host. Never throws.
 */
export function parseUrl(input: string): ParsedUrl {
  const text = boundText(input, MAX_PARSED_LENGTH);
  if (text.length === 0) return nothing(text);
  const colon = schemeEnd(text);
  if (colon > 0) {
    if (isSlash(text.charCodeAt(colon + 1))) {
      return withAuthority(text, skipSlashes(text, colon + 1), isAndroidApp(text, colon));
    }
    // `localhost:3000/a` and `example.com:8080` are a host and port that lost their scheme.
    return isPortAt(text, colon + 1) ? withAuthority(text, 0, false) : nothing(text);
  }
  if (isSlash(text.charCodeAt(0)) && isSlash(text.charCodeAt(1))) return withAuthority(text, skipSlashes(text, 0), false);
  if (startsWithHostName(text)) return withAuthority(text, 0, false);
  return withoutAuthority(text, 0, null, false);
}

export function pathOf(url: ParsedUrl): string {
  return url.text.slice(url.pathStart, url.pathEnd);
}

export function queryOf(url: ParsedUrl): string {
  return url.text.slice(url.queryStart, url.queryEnd);
}

/** The host without a leading `www.`: www.example.com and example.com are one site. */
export function withoutWww(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}

/** The host and its parent domains, most specific first: a.b.example.com, b.example.com, example.com, com. */
export function hostSuffixes(host: string): string[] {
  const suffixes = [host];
  for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) suffixes.push(host.slice(dot + 1));
  return suffixes;
}

function nothing(text: string): ParsedUrl {
  return { text, host: null, isApp: false, pathStart: 0, pathEnd: 0, queryStart: 0, queryEnd: 0 };
}

/**
 * The authority starting at `start` (`user:pass@host:port`) and what follows it, read in one scan
 * that also notes what the host needs: lower-casing, or IDN conversion.
 */
function withAuthority(text: string, start: number, isApp: boolean): ParsedUrl {
  let from = start;
  let colon = -1;
  let upper = false;
  let plain = true;
  let end = start;
  for (; end < text.length; end++) {
    const code = text.charCodeAt(end);
    if (isSlash(code) || code === 0x3f || code === 0x23) break;
    if (code === 0x40) {
      // Credentials end here: the host starts again after the last @.
      from = end + 1;
      colon = -1;
      upper = false;
      plain = true;
    } else if (code === 0x3a) {
      if (colon === -1) colon = end;
    } else if (colon === -1) {
      if (code >= 0x41 && code <= 0x5a) upper = true;
      else if (!(isLowerLetter(code) || isDigit(code) || code === 0x2e || code === 0x2d || code === 0x5f)) plain = false;
    }
  }
  const host = text.charCodeAt(from) === 0x5b ? ipv6Host(text, from, end) : hostOf(text, from, colon === -1 ? end : colon, upper, plain);
  return withoutAuthority(text, end, host, isApp && host !== null);
}

function withoutAuthority(text: string, start: number, host: string | null, isApp: boolean): ParsedUrl {
  const hash = text.indexOf('#', start);
  const end = hash === -1 ? text.length : hash;
  const question = text.indexOf('?', start);
  const pathEnd = question === -1 || question > end ? end : question;
  const queryStart = pathEnd === end ? end : pathEnd + 1;
  return { text, host, isApp, pathStart: start, pathEnd, queryStart, queryEnd: end };
}

/** Index of the `:` ending a scheme (`[A-Za-z][A-Za-z0-9+.-]*:`), or -1. */
function schemeEnd(text: string): number {
  if (!isLetter(text.charCodeAt(0))) return -1;
  for (let at = 1; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 0x3a) return at;
    if (!(isLetter(code) || isDigit(code) || code === 0x2b || code === 0x2d || code === 0x2e)) return -1;
  }
  return -1;
}

function isAndroidApp(text: string, colon: number): boolean {
  return colon === 11 && text.slice(0, 11).toLowerCase() === 'android-app';
}

/** `www.example.com/...`: a first segment with a dot and only host characters, so a URL without its scheme. */
function startsWithHostName(text: string): boolean {
  const first = text.charCodeAt(0);
  if (!(isLetter(first) || isDigit(first) || first >= 0x80)) return false;
  let dot = false;
  for (let at = 1; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (isSlash(code) || code === 0x3f || code === 0x23) return dot;
    if (code === 0x2e) dot = true;
    else if (code <= 0x20 || code === 0x40 || code === 0x25) return false;
  }
  return dot;
}

function isPortAt(text: string, at: number): boolean {
  let digits = 0;
  for (let i = at; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isDigit(code)) digits++;
    else return digits > 0 && (isSlash(code) || code === 0x3f || code === 0x23);
  }
  return digits > 0;
}

function skipSlashes(text: string, at: number): number {
  let i = at;
  while (isSlash(text.charCodeAt(i))) i++;
  return i;
}

function ipv6Host(text: string, from: number, end: number): string | null {
  const close = text.indexOf(']', from);
  return close === -1 || close >= end ? null : text.slice(from, close + 1).toLowerCase();
}

/** The host text[from, to), already scanned: `upper` if it has capitals, `plain` if only ASCII host characters. */
function hostOf(text: string, from: number, to: number, upper: boolean, plain: boolean): string | null {
  const end = to > from && text.charCodeAt(to - 1) === 0x2e ? to - 1 : to;
  if (end <= from || end - from > MAX_HOST_LENGTH) return null;
  const host = text.slice(from, end);
  if (!plain) return internationalHost(host);
  // `https://undefined/` is a tag's bug, not a site.
  if (isNullWord(host)) return null;
  return upper ? host.toLowerCase() : host;
}

/** Non-ASCII (IDN) hosts become punycode, as browsers send them; invalid ones are no host. */
function internationalHost(host: string): string | null {
  const ascii = domainToASCII(host);
  return ascii.length === 0 || ascii.length > MAX_HOST_LENGTH ? null : ascii;
}

function isSlash(code: number): boolean {
  return code === 0x2f || code === 0x5c;
}

function isLetter(code: number): boolean {
  return isLowerLetter(code | 0x20);
}

function isLowerLetter(code: number): boolean {
  return code >= 0x61 && code <= 0x7a;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}
