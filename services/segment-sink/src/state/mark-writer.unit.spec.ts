import { describe, expect, it } from 'vitest';
import { Logger } from '@touchstream/logging';
import { MarkWriter } from './mark-writer';
import type { IdentifyMarkRow, SinkStore, TrackHandling } from './sink-store';

const quiet = new Logger({ service: 'test', level: 'error' });

const mark = (subjectId: string): IdentifyMarkRow => ({
  subjectType: 'user',
  subjectId,
  version: 1,
  traitsHash: 'hash',
  outcome: 'delivered',
});

/** Records what was written; `onWrite` runs inside each write, before it resolves. */
function recordingStore(onWrite: (rows: readonly IdentifyMarkRow[]) => void = () => undefined) {
  const written: string[] = [];
  const tracked: string[] = [];
  const store = {
    markIdentifies: (rows: readonly IdentifyMarkRow[]) => {
      written.push(...rows.map((row) => row.subjectId));
      onWrite(rows);
      return Promise.resolve();
    },
    markTracks: (rows: ReadonlyArray<{ touchId: string; outcome: TrackHandling }>) => {
      tracked.push(...rows.map((row) => row.touchId));
      return Promise.resolve();
    },
  };
  return { store: store as unknown as SinkStore, written, tracked };
}

/** Resolves after `ticks` turns of the microtask queue. */
async function microtasks(ticks: number): Promise<void> {
  for (let i = 0; i < ticks; i++) await Promise.resolve();
}

describe('MarkWriter', () => {
  it('writes the marks and reports none pending afterwards', async () => {
    const { store, written } = recordingStore();
    const writer = new MarkWriter(store, quiet);
    writer.identified([mark('a'), mark('b')]);
    expect(writer.pending()).toBeGreaterThan(0);
    await writer.drain();
    expect(written).toEqual(['a', 'b']);
    expect(writer.pending()).toBe(0);
  });

  // A mark that arrives while the write loop is finishing must not wait for the next mark: once
  // it sat in the queue with nothing scheduled to write it (the sink's status showed it pending,
  // and the handled record Postgres keeps for a replay was missing). Every arrival point a few
  // microtasks around the loop's end is tried.
  it.each(Array.from({ length: 12 }, (_, ticks) => ticks))(
    'writes a mark that arrives %i microtasks into the last write',
    async (ticks) => {
      let sentLate = false;
      const { store, written } = recordingStore(() => {
        if (sentLate) return;
        sentLate = true;
        void microtasks(ticks).then(() => writer.identified([mark('late')]));
      });
      const writer = new MarkWriter(store, quiet);
      writer.identified([mark('first')]);
      await microtasks(50);
      await writer.drain();
      expect(written).toEqual(['first', 'late']);
      expect(writer.pending()).toBe(0);
    },
  );

  // A delivery can answer before its fact's row is written, and the writer may already be waiting
  // for older fact writes when that mark comes: it must wait for the newer write too, or its
  // UPDATE finds no row and the mark is lost (a replay then sent that identify again).
  it('waits for a fact write registered while it was waiting for an older one', async () => {
    const { store, written } = recordingStore();
    const writer = new MarkWriter(store, quiet);
    let olderStored!: () => void;
    let newerStored!: () => void;
    writer.afterStored(new Promise<void>((resolve) => (olderStored = resolve)));
    writer.identified([mark('older')]);
    await microtasks(5);
    writer.afterStored(new Promise<void>((resolve) => (newerStored = resolve)));
    writer.identified([mark('newer')]);
    olderStored();
    await microtasks(20);
    expect(written).not.toContain('newer');
    newerStored();
    await writer.drain();
    expect(written).toContain('newer');
    expect(writer.pending()).toBe(0);
  });

  it('writes track marks without waiting for fact writes (they are rows of their own)', async () => {
    const { store, written, tracked } = recordingStore();
    const writer = new MarkWriter(store, quiet);
    let storeFacts!: () => void;
    writer.afterStored(new Promise<void>((resolve) => (storeFacts = resolve)));
    writer.identified([mark('a')]);
    writer.tracked([{ touchId: 't1', outcome: 'delivered' }]);
    await microtasks(20);
    expect(tracked).toEqual(['t1']);
    expect(written).toEqual([]);
    storeFacts();
    await writer.drain();
    expect(written).toEqual(['a']);
  });

  it('writes marks only after the fact writes registered before them', async () => {
    const { store, written } = recordingStore();
    const writer = new MarkWriter(store, quiet);
    let storeFacts!: () => void;
    writer.afterStored(new Promise<void>((resolve) => (storeFacts = resolve)));
    writer.identified([mark('a')]);
    await microtasks(20);
    expect(written).toEqual([]);
    storeFacts();
    await writer.drain();
    expect(written).toEqual(['a']);
  });
});
