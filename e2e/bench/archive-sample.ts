import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { rawEventKey, toRawEvent, type SegmentEvent, envelopeMessage } from '@touchstream/contracts';
import { ensureArchive } from '@touchstream/bench';
import { type OutgoingMessage } from '@touchstream/kafka';

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

/** bench:import's archive (115,000 people over 90 days, seed "bench": 1,081,715 events) is the 1,000,000 one; other sizes scale the people. */
const PEOPLE_PER_EVENT = 0.115;
export const ARCHIVE_DAYS = 90;
export const ARCHIVE_SEED = 'bench';

/** The pipeline benchmarks' archive with at least `events` events: more people until it has them. */
export async function archiveFor(events: number, log: (line: string) => void): Promise<{ path: string; events: number; users: number }> {
  let users = Math.ceil(events * PEOPLE_PER_EVENT);
  for (;;) {
    const archive = await ensureArchive({ users, days: ARCHIVE_DAYS, seed: ARCHIVE_SEED }, log);
    if (archive.events >= events) return { ...archive, users };
    users = Math.ceil(users * (events / archive.events) * 1.01);
  }
}
