import { describe, expect, it } from 'vitest';
import { NO_ORIGINS, originAllowed, parseCorsOrigins, type CorsPolicy } from './cors';

function policy(value: string): CorsPolicy {
  const parsed = parseCorsOrigins(value);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.policy;
}

describe('CORS origins', () => {
  it('allows nothing by default', () => {
    expect(parseCorsOrigins(undefined)).toEqual({ ok: true, policy: NO_ORIGINS });
    expect(originAllowed(policy(''), 'https://www.example.com')).toBe(false);
  });

  it('matches exact origins by scheme, host and port', () => {
    const allowed = policy('https://www.example.com, http://127.0.0.2:8080');
    expect(originAllowed(allowed, 'https://www.example.com')).toBe(true);
    expect(originAllowed(allowed, 'https://WWW.example.com:443')).toBe(true);
    expect(originAllowed(allowed, 'http://www.example.com')).toBe(false);
    expect(originAllowed(allowed, 'https://www.example.com:8443')).toBe(false);
    expect(originAllowed(allowed, 'https://shop.example.com')).toBe(false);
    expect(originAllowed(allowed, 'http://127.0.0.2:8080')).toBe(true);
    expect(originAllowed(allowed, 'http://127.0.0.2:8081')).toBe(false);
  });

  it('matches a subdomain pattern at any depth, but not the domain itself nor a look-alike', () => {
    const allowed = policy('*.example.com');
    expect(originAllowed(allowed, 'https://shop.example.com')).toBe(true);
    expect(originAllowed(allowed, 'https://eu.shop.example.com')).toBe(true);
    expect(originAllowed(allowed, 'https://example.com')).toBe(false);
    expect(originAllowed(allowed, 'https://badexample.com')).toBe(false);
    expect(originAllowed(allowed, 'https://shop.example.com.evil.org')).toBe(false);
    // No scheme in the pattern means https only.
    expect(originAllowed(allowed, 'http://shop.example.com')).toBe(false);
    expect(originAllowed(policy('http://*.example.com:8080'), 'http://shop.example.com:8080')).toBe(true);
    expect(originAllowed(policy('http://*.example.com:8080'), 'http://shop.example.com')).toBe(false);
  });

  it('never allows the opaque origin "null" or a malformed one', () => {
    const allowed = policy('https://www.example.com');
    expect(originAllowed(allowed, 'null')).toBe(false);
    expect(originAllowed(allowed, 'not a url')).toBe(false);
  });

  it('refuses entries that are not origins, naming each', () => {
    const parsed = parseCorsOrigins('*, https://www.example.com/path, ftp://files.example.com, https://*.com, https://a.*.example.com');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toHaveLength(5);
    expect(parsed.problems[0]).toMatch(/bare "\*"/);
    expect(parsed.problems[1]).toMatch(/no path/);
    expect(parsed.problems[2]).toMatch(/only http and https/);
    expect(parsed.problems[3]).toMatch(/top-level domain/);
    expect(parsed.problems[4]).toMatch(/first label|not an origin/);
  });
});
