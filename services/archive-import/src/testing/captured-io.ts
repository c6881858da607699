import { PassThrough } from 'node:stream';

/** The CLI's stdout and stderr as a test passes them in, with what was written to each so far. */
export interface CapturedIo {
  stdout: PassThrough;
  stderr: NodeJS.WriteStream;
  text: () => string;
  errors: () => string;
}

/** Streams for running a command in-process that keep everything written to them. */
export function capturedIo(): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { stdout, stderr: stderr as unknown as NodeJS.WriteStream, text: () => out, errors: () => err };
}
