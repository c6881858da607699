import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { firstArrayElement, verifySignature } from './signature';

const SECRET = 'shh';
const sign = (content: string) => createHmac('sha1', SECRET).update(content).digest('hex');

describe('verifySignature', () => {
  const body = '{"type":"page","anonymousId":"a","properties":{"title":"é ✓"}}';

  it('accepts the hex HMAC-SHA1 of the raw body, in either case', () => {
    expect(verifySignature(Buffer.from(body), sign(body), SECRET)).toEqual({ ok: true, covers: 'body' });
    expect(verifySignature(Buffer.from(body), sign(body).toUpperCase(), SECRET)).toEqual({ ok: true, covers: 'body' });
  });

  it('is computed over the raw bytes, not re-serialised JSON', () => {
    const spaced = '{ "type": "page", "anonymousId": "a" }';
    expect(verifySignature(Buffer.from(spaced), sign(JSON.stringify(JSON.parse(spaced))), SECRET).ok).toBe(false);
    expect(verifySignature(Buffer.from(spaced), sign(spaced), SECRET).ok).toBe(true);
  });

  it('refuses a missing, malformed, wrong or tampered signature, saying which', () => {
    expect(verifySignature(Buffer.from(body), undefined, SECRET)).toEqual({ ok: false, message: 'X-Signature header is missing' });
    expect(verifySignature(Buffer.from(body), 'xyz', SECRET)).toMatchObject({
      ok: false,
      message: expect.stringContaining('not a hex-encoded'),
    });
    expect(verifySignature(Buffer.from(body), sign(body).slice(0, 38), SECRET).ok).toBe(false);
    expect(verifySignature(Buffer.from(`${body} `), sign(body), SECRET)).toEqual({
      ok: false,
      message: 'X-Signature does not match the request body',
    });
    expect(verifySignature(Buffer.from(body), createHmac('sha1', 'other').update(body).digest('hex'), SECRET).ok).toBe(false);
  });

  it('by default refuses an array body signed over its first element only (anyone could append unsigned events)', () => {
    const first = '{"type":"page","anonymousId":"a"}';
    const array = `[${first},{"type":"page","anonymousId":"forged"}]`;
    expect(verifySignature(Buffer.from(array), sign(first), SECRET)).toEqual({
      ok: false,
      message: 'X-Signature does not match the request body',
    });
    expect(verifySignature(Buffer.from(array), sign(array), SECRET)).toEqual({ ok: true, covers: 'body' });
  });

  it('with scope first-event, says when the signature covers the first element only', () => {
    const first = '{"type":"page","anonymousId":"a","tags":["x,]",{"y":"}"}]}';
    const array = `[${first},{"type":"page","anonymousId":"b"}]`;
    expect(verifySignature(Buffer.from(array), sign(first), SECRET, 'first-event')).toEqual({ ok: true, covers: 'first-element' });
    expect(verifySignature(Buffer.from(array), sign(array), SECRET, 'first-event')).toEqual({ ok: true, covers: 'body' });
    expect(verifySignature(Buffer.from(array), sign('{"type":"page","anonymousId":"b"}'), SECRET, 'first-event').ok).toBe(false);
  });
});

describe('firstArrayElement', () => {
  it.each([
    ['[{"a":1},{"b":2}]', '{"a":1}'],
    [' [ {"a":"x\\"]"} , 2 ] ', '{"a":"x\\"]"}'],
    ['[[1,[2]],3]', '[1,[2]]'],
    ['["a,b"]', '"a,b"'],
    ['[42]', '42'],
  ])('finds the first element of %s', (body, first) => {
    expect(firstArrayElement(Buffer.from(body))?.toString()).toBe(first);
  });

  it.each(['{"batch":[]}', '[]', '[ ]', ''])('finds none in %j', (body) => {
    expect(firstArrayElement(Buffer.from(body))).toBeUndefined();
  });
});
