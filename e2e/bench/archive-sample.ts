import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { rawEventKey, toRawEvent, type SegmentEvent } from '@touchstream/contracts';
import { envelopeMessage, type OutgoingMessage } from '@touchstream/kafka';

/**
 * The archive's first `limit` events as the importer writes them to the raw topic (normalised with
 * source "import", enveloped, keyed as ingest keys them), serialised up front: the input of the
 * broker ceiling.
 */
export async function archiveMessages(path: string, limit: number): Promise<OutgoingMessage[]> {
  const messages: OutgoingMessage[] = [];
  const input = createReadStream(path);
  const lines = createInterface({ input: input.pipe(createGunzip()), crlfDelay: Infinity });
  const receivedAt = new Date();
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const raw = toRawEvent(JSON.parse(line) as SegmentEvent, { source: 'import', receivedAt });
      const message = envelopeMessage(raw, rawEventKey(raw.data.event));
      messages.push({ ...message, value: Buffer.from(message.value) });
      if (messages.length >= limit) break;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return messages;
}
