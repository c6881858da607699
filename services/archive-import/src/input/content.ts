import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { detectCompression, detectFormat, SNIFF_BYTES, type Compression, type FormatDetection } from './detect';

export interface InputFileInfo {
  path: string;
  size: number;
  mtimeMs: number;
  compression: Compression;
  detection: FormatDetection;
}

/** Reads the first bytes (decompressing them when gzipped) and tells what the file holds. */
export async function inspectFile(path: string): Promise<InputFileInfo> {
  const stats = await stat(path);
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(Math.min(SNIFF_BYTES, stats.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const compression = detectCompression(head);
  let content = head;
  if (compression === 'gzip') {
    try {
      // A partial stream: inflate what is there without demanding the end of the file.
      content = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch (error) {
      return {
        path,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        compression,
        detection: { format: undefined, reason: `not gzip: it starts like gzip but its data is corrupt (${(error as Error).message})` },
      };
    }
  }
  let detection = detectFormat(path, content);
  // A .gz that holds plain NDJSON is fine (names lie); one that holds nothing readable was meant to be gzip.
  if (detection.format === undefined && compression === 'none' && /\.gz$/i.test(path)) {
    detection = { format: undefined, reason: `not gzip (no gzip header), and ${detection.reason}` };
  }
  return { path, size: stats.size, mtimeMs: stats.mtimeMs, compression, detection };
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * The file's content from `offset` (in decompressed bytes), chunk by chunk. A plain file is
 * opened at the offset; a gzip stream cannot seek, so it is inflated from the start and the
 * first `offset` bytes are dropped. The consumer's pace is the read pace (async iteration
 * pauses the stream), which keeps memory flat. `onRead` reports bytes read from disk.
 */
export async function* readContent(
  path: string,
  compression: Compression,
  offset: number,
  onRead: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const file = createReadStream(path, { start: compression === 'none' ? offset : 0, highWaterMark: CHUNK_BYTES });
  let reported = 0;
  // A 'data' listener would switch the stream to flowing mode and defeat backpressure: poll instead.
  const report = () => {
    onRead(file.bytesRead - reported);
    reported = file.bytesRead;
  };
  if (compression === 'none') {
    for await (const chunk of file) {
      report();
      yield chunk as Buffer;
    }
    return;
  }
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  file.on('error', (error) => gunzip.destroy(error));
  const content = file.pipe(gunzip);
  let skip = offset;
  try {
    for await (const chunk of content) {
      report();
      let buffer = chunk as Buffer;
      if (skip > 0) {
        if (buffer.length <= skip) {
          skip -= buffer.length;
          continue;
        }
        buffer = buffer.subarray(skip);
        skip = 0;
      }
      yield buffer;
    }
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}
