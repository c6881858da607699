import { describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH, parseJson } from './parse-json';

const nestedArrays = (levels: number) => Buffer.from(`${'['.repeat(levels)}${']'.repeat(levels)}`);

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
      message: 'request body is not accepted: the key "__proto__" is not allowed',
    });
    expect(parseJson(Buffer.from('{"constructor":{"prototype":{"x":1}}}'))).toMatchObject({ ok: false });
  });

  it('refuses prototype keys spelled with JSON escapes (the parsed keys are checked, not the text)', () => {
    expect(parseJson(Buffer.from('{"a":{"\\u005f_proto__":{"admin":true}}}'))).toEqual({
      ok: false,
      message: 'request body is not accepted: the key "__proto__" is not allowed',
    });
    expect(parseJson(Buffer.from('[{"\\u0063onstructor":{"prot\\u006ftype":{"x":1}}}]'))).toEqual({
      ok: false,
      message: 'request body is not accepted: the key "constructor.prototype" is not allowed',
    });
  });

  it(`refuses bodies nested deeper than ${MAX_BODY_DEPTH} levels, 10,000 levels included, without overflowing the stack`, () => {
    expect(parseJson(nestedArrays(MAX_BODY_DEPTH))).toMatchObject({ ok: true });
    for (const levels of [MAX_BODY_DEPTH + 1, 10_000, 200_000]) {
      expect(parseJson(nestedArrays(levels))).toEqual({
        ok: false,
        message: `request body is not accepted: it is nested deeper than ${MAX_BODY_DEPTH} levels`,
      });
    }
  });
});
