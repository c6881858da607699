import { describe, expect, it } from 'vitest';
import { hostSuffixes, parseUrl, pathOf, queryOf } from './parse-url';

function parts(input: string) {
  const url = parseUrl(input);
  return { host: url.host, path: pathOf(url), query: queryOf(url), isApp: url.isApp };
}

describe('parseUrl', () => {
  it.each([
    ['an absolute URL', 'https://www.example.com/a/b?x=1&y=2#top', { host: 'www.example.com', path: '/a/b', query: 'x=1&y=2' }],
    ['no path', 'https://example.com', { host: 'example.com', path: '', query: '' }],
    ['a query without path', 'https://example.com?x=1', { host: 'example.com', path: '', query: 'x=1' }],
    ['a ? inside the fragment', 'https://example.com/a#b?c=1', { host: 'example.com', path: '/a', query: '' }],
    ['upper case host', 'HTTP://WWW.Example.COM/Path', { host: 'www.example.com', path: '/Path', query: '' }],
    ['credentials and port', 'https://u:p@example.com:8443/x', { host: 'example.com', path: '/x', query: '' }],
    ['trailing dot', 'https://example.com./', { host: 'example.com', path: '/', query: '' }],
    ['missing scheme', 'www.example.com/a?b=1', { host: 'www.example.com', path: '/a', query: 'b=1' }],
    ['host and port without scheme', 'localhost:3000/a', { host: 'localhost', path: '/a', query: '' }],
    ['protocol-relative', '//cdn.example.com/x', { host: 'cdn.example.com', path: '/x', query: '' }],
    ['backslashes', 'https:\\\\example.com\\a', { host: 'example.com', path: '\\a', query: '' }],
    ['relative path', '/pricing?utm_source=x', { host: null, path: '/pricing', query: 'utm_source=x' }],
    ['relative file', 'pricing.html?x=1', { host: 'pricing.html', path: '', query: 'x=1' }],
    ['dot-relative path', '../a?x=1', { host: null, path: '../a', query: 'x=1' }],
    ['a word', 'hello', { host: null, path: 'hello', query: '' }],
    ['text with spaces', 'not a url', { host: null, path: 'not a url', query: '' }],
    ['opaque about:', 'about:blank', { host: null, path: '', query: '' }],
    ['opaque javascript:', 'javascript:alert(1)', { host: null, path: '', query: '' }],
    ['IDN host', 'https://Bücher.de/x', { host: 'xn--bcher-kva.de', path: '/x', query: '' }],
    ['IPv6 host', 'http://[::1]:8080/x', { host: '[::1]', path: '/x', query: '' }],
    ['unclosed IPv6 host', 'http://[::1/x', { host: null, path: '/x', query: '' }],
    ['empty authority', 'https:///x', { host: 'x', path: '', query: '' }],
    ['"undefined" host', 'https://undefined/x', { host: null, path: '/x', query: '' }],
    ['host too long for DNS', `https://${'a'.repeat(254)}/`, { host: null, path: '/', query: '' }],
    ['empty', '', { host: null, path: '', query: '' }],
  ])('%s', (_, input, expected) => {
    expect(parts(input)).toEqual({ ...expected, isApp: false });
  });

  it('marks android-app referrers, whose host is a package id', () => {
    expect(parts('android-app://com.google.android.gm/')).toEqual({ host: 'com.google.android.gm', path: '/', query: '', isApp: true });
    expect(parts('ANDROID-APP://com.slack').isApp).toBe(true);
  });

  it('parses only the first 16 KiB', () => {
    const url = parseUrl(`https://example.com/?${'a'.repeat(20_000)}`);

    expect(url.text).toHaveLength(16_384);
    expect(url.queryEnd).toBe(16_384);
  });
});

describe('hostSuffixes', () => {
  it('lists the host and every parent domain, most specific first', () => {
    expect(hostSuffixes('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com', 'com']);
    expect(hostSuffixes('localhost')).toEqual(['localhost']);
  });
});
