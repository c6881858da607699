/**
 * Which web pages may call the Tracking API from a browser (CORS). Segment's browser SDK sends
 * the write key in an Authorization header, so every call from another origin is preflighted;
 * the answer names exactly the methods and headers the SDKs send, and never allows credentials
 * (the SDK needs no cookies, and a wildcard origin with credentials would be refused anyway).
 *
 * Entries (INGEST_CORS_ORIGINS, comma-separated):
 * - an exact origin, `https://www.example.com` or `http://127.0.0.2:8080` (scheme, host, port);
 * - a subdomain pattern, `https://*.example.com` or `*.example.com` (https implied): any host
 *   under example.com at any depth, not example.com itself (list it too if it has the SDK).
 * Nothing is allowed by default, and a bare `*` is refused: any site could then send events with
 * the write key it finds in your page's source.
 */
export interface CorsPolicy {
  /** Normalised origins, as `URL.origin` spells them. */
  exact: ReadonlySet<string>;
  patterns: ReadonlyArray<OriginPattern>;
}

interface OriginPattern {
  protocol: string;
  port: string;
  /** The registrable part after `*.`, lower case. */
  suffix: string;
}

export type CorsParse = { ok: true; policy: CorsPolicy } | { ok: false; problems: string[] };

/** What a preflight is told: every method and header Segment's SDKs use. */
export const CORS_ALLOWED_METHODS = 'POST, OPTIONS';
export const CORS_ALLOWED_HEADERS = 'Content-Type, Authorization, X-Retry-Count';
/** The SDKs read Retry-After on a 429; a cross-origin script sees only the headers exposed to it. */
export const CORS_EXPOSED_HEADERS = 'Retry-After';
/** Seconds a browser may reuse a preflight (Chromium caps it at 7,200). */
export const CORS_MAX_AGE_SECONDS = 7_200;

export const NO_ORIGINS: CorsPolicy = { exact: new Set(), patterns: [] };

export function parseCorsOrigins(value: string | undefined): CorsParse {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const exact = new Set<string>();
  const patterns: OriginPattern[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (typeof parsed === 'string') problems.push(parsed);
    else if ('origin' in parsed) exact.add(parsed.origin);
    else patterns.push(parsed);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, policy: { exact, patterns } };
}

function parseEntry(entry: string): { origin: string } | OriginPattern | string {
  if (entry === '*')
    return 'a bare "*" would let any site send with your write key: list the origins (https://www.example.com, https://*.example.com)';
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `https://${entry}`;
  const wildcard = /^([a-z][a-z0-9+.-]*:\/\/)\*\.(.+)$/i.exec(withScheme);
  const candidate = wildcard ? `${wildcard[1]}wildcard.${wildcard[2]}` : withScheme;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return `"${entry}" is not an origin (https://www.example.com) nor a pattern (https://*.example.com)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${entry}": only http and https origins can be allowed`;
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || candidate.endsWith('/')) {
    return `"${entry}" must be an origin only: scheme, host and port, no path`;
  }
  if (url.hostname.includes('*')) return `"${entry}": "*" is allowed only as the first label ("*.example.com")`;
  if (!wildcard) return { origin: url.origin };
  const suffix = url.hostname.slice('wildcard.'.length);
  if (!suffix.includes('.') && suffix !== 'localhost') return `"${entry}" would match every host under a top-level domain: name a domain`;
  return { protocol: url.protocol, port: url.port, suffix };
}

/** Whether a request's `Origin` header names an allowed page. `null` (sandboxed pages, files) never is. */
export function originAllowed(policy: CorsPolicy, origin: string): boolean {
  if (origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (policy.exact.has(url.origin)) return true;
  const host = url.hostname;
  return policy.patterns.some(
    (pattern) => pattern.protocol === url.protocol && pattern.port === url.port && host.endsWith(`.${pattern.suffix}`),
  );
}
