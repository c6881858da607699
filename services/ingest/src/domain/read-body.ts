import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';

/** A request refused while its body was read: the status and a message that says exactly why. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: 'request_too_large' | 'unsupported_encoding' | 'unreadable_body',
    message: string,
    readonly limit?: number,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

export interface ReadBodyOptions {
  /** Most bytes of (inflated) body accepted. */
  limit: number;
  contentLength?: string | undefined;
  contentEncoding?: string | undefined;
}

/** `subject` says what was too large: "request body of 600000 bytes", "gzip body inflated". */
export function tooLarge(limit: number, subject: string): BodyError {
  return new BodyError(
    413,
    'request_too_large',
    `${subject} is over the limit of ${limit} bytes per request (INGEST_MAX_REQUEST_BYTES): send smaller batches`,
    limit,
  );
}

/**
 * Reads a request body into one buffer, stopping as soon as it passes the limit (a declared
 * Content-Length over it is refused before reading). gzip and deflate bodies (which Segment's
 * API accepts) are inflated with the limit applied to the inflated size, so a small compressed
 * body cannot expand without bound.
 */
export function readBody(stream: Readable, options: ReadBodyOptions): Promise<Buffer> {
  const encoding = (options.contentEncoding ?? '').trim().toLowerCase() || 'identity';
  const declared = options.contentLength === undefined ? Number.NaN : Number(options.contentLength);
  if (encoding === 'identity' && declared > options.limit) {
    return Promise.reject(tooLarge(options.limit, `request body of ${declared} bytes (Content-Length)`));
  }
  let inflate: Transform | undefined;
  if (encoding === 'gzip' || encoding === 'x-gzip') inflate = createGunzip();
  else if (encoding === 'deflate') inflate = createInflate();
  else if (encoding !== 'identity') {
    return Promise.reject(
      new BodyError(
        415,
        'unsupported_encoding',
        `Content-Encoding "${encoding}" is not supported: send the body as identity, gzip or deflate`,
      ),
    );
  }
  const source: Readable = inflate ? stream.pipe(inflate) : stream;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => {
      source.removeListener('data', onData);
      source.removeListener('end', onEnd);
      source.removeListener('error', onError);
      if (inflate) {
        stream.removeListener('error', onError);
        stream.unpipe(inflate);
        inflate.destroy();
      }
    };
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > options.limit) {
        detach();
        reject(tooLarge(options.limit, encoding === 'identity' ? 'request body' : `${encoding} request body, inflated,`));
        return;
      }
      chunks.push(chunk);
    }
    function onEnd() {
      detach();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    }
    function onError(error: Error) {
      detach();
      reject(new BodyError(400, 'unreadable_body', `request body could not be read: ${error.message}`));
    }
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    if (inflate) stream.on('error', onError);
  });
}
