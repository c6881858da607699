const PLUS = /\+/g;
const utf8 = new TextDecoder('utf-8');

/**
 * Decodes one query-string key or value: `+` is a space and `%XX` a UTF-8 byte. Never throws:
 * a malformed `%` sequence stays as it is and invalid UTF-8 becomes U+FFFD.
 */
export function decodeQueryComponent(raw: string): string {
  const text = raw.indexOf('+') === -1 ? raw : raw.replace(PLUS, ' ');
  if (text.indexOf('%') === -1) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return decodeLeniently(text);
  }
}

function decodeLeniently(text: string): string {
  let out = '';
  let from = 0;
  while (from < text.length) {
    const percent = text.indexOf('%', from);
    if (percent === -1) break;
    out += text.slice(from, percent);
    const bytes: number[] = [];
    let at = percent;
    while (at + 2 < text.length && text.charCodeAt(at) === 0x25) {
      const byte = hexByte(text, at + 1);
      if (byte === -1) break;
      bytes.push(byte);
      at += 3;
    }
    if (bytes.length === 0) {
      out += '%';
      from = percent + 1;
    } else {
      out += utf8.decode(Uint8Array.from(bytes));
      from = at;
    }
  }
  return out + text.slice(from);
}

function hexByte(text: string, at: number): number {
  const high = hexDigit(text.charCodeAt(at));
  const low = hexDigit(text.charCodeAt(at + 1));
  return high === -1 || low === -1 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
