import { describe, expect, it } from 'vitest';
import { decodeQueryComponent } from './percent-decode';

describe('decodeQueryComponent', () => {
  it.each([
    ['plain text', 'spring_sale', 'spring_sale'],
    ['+ as space', 'spring+sale', 'spring sale'],
    ['%20 as space', 'spring%20sale', 'spring sale'],
    ['encoded +', 'a%2Bb', 'a+b'],
    ['UTF-8 sequences', '%E5%BD%92%E5%9B%A0', '归因'],
    ['lower-case hex', '%c3%a9', 'é'],
    ['a lone %', '50%', '50%'],
    ['% with one hex digit', 'a%2', 'a%2'],
    ['% with no hex digits', '%ZZok', '%ZZok'],
    ['valid bytes next to a malformed sequence', '%C3%A9%ZZ%20x', 'é%ZZ x'],
    ['a truncated UTF-8 sequence', 'a%E0%A4', 'a\uFFFD'],
    ['bytes that are not UTF-8', '%FF%FE', '\uFFFD\uFFFD'],
    ['empty', '', ''],
  ])('%s', (_, raw, decoded) => {
    expect(decodeQueryComponent(raw)).toBe(decoded);
  });
});
