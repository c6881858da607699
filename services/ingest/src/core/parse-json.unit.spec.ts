import { describe, expect, it } from 'vitest';
import { parseJson } from './parse-json';

describe('parseJson', () => {
  it('parses JSON, including bodies that merely mention constructor or prototype', () => {
    expect(parseJson(Buffer.from('{"a":[1,{"b":null}]}'))).toEqual({ ok: true, value: { a: [1, { b: null }] } });
    expect(parseJson(Buffer.from('{"properties":{"constructor":"Acme","prototype":1}}'))).toEqual({
      ok: true,
      value: { properties: { constructor: 'Acme', prototype: 1 } },
    });
  });

  it('says why a body is not JSON', () => {
    expect(parseJson(Buffer.alloc(0))).toEqual({ ok: false, message: 'request body is empty: expected JSON' });
    const result = parseJson(Buffer.from('{"a":'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/^request body is not valid JSON: /);
  });

  it('refuses prototype poisoning', () => {
    expect(parseJson(Buffer.from('{"a":{"__proto__":{"admin":true}}}'))).toEqual({
      ok: false,
      message: 'request body is not valid JSON: the key "__proto__" is not allowed',
    });
    expect(parseJson(Buffer.from('{"constructor":{"prototype":{"x":1}}}'))).toMatchObject({ ok: false });
  });
});
