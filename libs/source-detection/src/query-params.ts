import { decodeQueryComponent } from './percent-decode';

/**
 * Reads the first raw value of each wanted key from the query string text[start, end) in one
 * pass. `keySlots` maps lower-case key names to slot indexes; `values[slot]` receives the still
 * encoded value of the key's first occurrence (a repeated key keeps its first value). Keys match
 * case-insensitively. Returns how many slots were filled.
 */
export function readFirstValues(
  text: string,
  start: number,
  end: number,
  keySlots: ReadonlyMap<string, number>,
  values: Array<string | undefined>,
): number {
  let filled = 0;
  let from = start;
  let keyEnd = -1;
  // One scan: each `&` closes a pair, the first `=` after its start ends the key.
  for (let at = start; at <= end; at++) {
    const code = at === end ? 0x26 : text.charCodeAt(at);
    if (code === 0x3d && keyEnd === -1) keyEnd = at;
    if (code !== 0x26) continue;
    if (at > from) {
      const keyStop = keyEnd === -1 ? at : keyEnd;
      const slot = keySlots.get(keyOf(text.slice(from, keyStop)));
      if (slot !== undefined && values[slot] === undefined) {
        values[slot] = keyStop === at ? '' : text.slice(keyStop + 1, at);
        filled++;
      }
    }
    from = at + 1;
    keyEnd = -1;
  }
  return filled;
}

function keyOf(raw: string): string {
  const key = raw.indexOf('%') === -1 && raw.indexOf('+') === -1 ? raw : decodeQueryComponent(raw);
  return key.toLowerCase();
}
