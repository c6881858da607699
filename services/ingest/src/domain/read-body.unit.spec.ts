import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyError, readBody } from './read-body';

const stream = (...chunks: string[]) => Readable.from(chunks.map((chunk) => Buffer.from(chunk)));

describe('readBody', () => {
  it('collects the body', async () => {
    await expect(readBody(stream('{"a"', ':1}'), { limit: 100 })).resolves.toEqual(Buffer.from('{"a":1}'));
  });

  it('refuses a declared Content-Length over the limit before reading', async () => {
    const error = await readBody(stream('x'), { limit: 10, contentLength: '11' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BodyError);
    expect(error).toMatchObject({
      status: 413,
      code: 'request_too_large',
      limit: 10,
      message:
        'request body of 11 bytes (Content-Length) is over the limit of 10 bytes per request (INGEST_MAX_REQUEST_BYTES): send smaller batches',
    });
  });

  it('stops reading as soon as a body without a length passes the limit', async () => {
    await expect(readBody(stream('12345', '67890', 'x'), { limit: 10 })).rejects.toMatchObject({ status: 413, limit: 10 });
    await expect(readBody(stream('12345', '67890'), { limit: 10 })).resolves.toHaveLength(10);
  });

  it('inflates gzip and deflate bodies, applying the limit to the inflated size', async () => {
    const text = JSON.stringify({ batch: Array.from({ length: 200 }, () => ({ type: 'page' })) });
    const gzipped = Readable.from([gzipSync(text)]);
    await expect(readBody(gzipped, { limit: 100_000, contentEncoding: 'gzip' }).then(String)).resolves.toBe(text);
    await expect(
      readBody(Readable.from([gzipSync(text)]), { limit: 1_000, contentEncoding: 'gzip', contentLength: '50' }),
    ).rejects.toMatchObject({
      status: 413,
      message: expect.stringContaining('gzip request body, inflated,'),
    });
    await expect(readBody(Readable.from([Buffer.from('not gzip')]), { limit: 1_000, contentEncoding: 'gzip' })).rejects.toMatchObject({
      status: 400,
      code: 'unreadable_body',
    });
  });

  it('refuses encodings it cannot read with 415', async () => {
    await expect(readBody(stream('x'), { limit: 10, contentEncoding: 'br' })).rejects.toMatchObject({
      status: 415,
      code: 'unsupported_encoding',
    });
  });
});
