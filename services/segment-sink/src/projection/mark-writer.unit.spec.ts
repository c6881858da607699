import { describe, expect, it } from 'vitest';
import { Logger } from '@touchstream/logging';
import { MarkWriter, type MarkCall, type MarkLoss, type MarkObserver } from './mark-writer';
import type { IdentifyMarkRow, IdentifyMarksWritten, SinkStore, TrackHandling } from './sink.store';

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
    markIdentifies: (rows: readonly IdentifyMarkRow[]): Promise<IdentifyMarksWritten> => {
      written.push(...rows.map((row) => row.subjectId));
      onWrite(rows);
      return Promise.resolve({ applied: rows.length, noRow: 0 });
    },
    markTracks: (rows: ReadonlyArray<{ touchId: string; outcome: TrackHandling }>) => {
      tracked.push(...rows.map((row) => row.touchId));
      return Promise.resolve();
    },
  };
  return { store: store as unknown as SinkStore, written, tracked };
}

/**
 * A store whose first `failures` writes of each kind fail (Infinity: every write); the writes that
 * succeed are recorded, and an identify write answers that the subjects in `missing` have no row.
 */
function failingStore(failures: number, missing: ReadonlySet<string> = new Set()) {
  const written: string[] = [];
  const tracked: string[] = [];
  const attempts = { identify: 0, track: 0 };
  const store = {
    markIdentifies: (rows: readonly IdentifyMarkRow[]): Promise<IdentifyMarksWritten> => {
      attempts.identify += 1;
      if (attempts.identify <= failures) return Promise.reject(new Error('connection terminated'));
      const subjects = new Set(rows.map((row) => row.subjectId));
      const noRow = [...subjects].filter((subject) => missing.has(subject)).length;
      written.push(...rows.map((row) => row.subjectId).filter((subject) => !missing.has(subject)));
      return Promise.resolve({ applied: subjects.size - noRow, noRow });
    },
    markTracks: (rows: ReadonlyArray<{ touchId: string; outcome: TrackHandling }>) => {
      attempts.track += 1;
      if (attempts.track <= failures) return Promise.reject(new Error('connection terminated'));
      tracked.push(...rows.map((row) => row.touchId));
      return Promise.resolve();
    },
  };
  return { store: store as unknown as SinkStore, written, tracked, attempts };
}

/** Records what the writer reports lost, as the sink's metrics get it. */
function lossRecorder() {
  const losses: Array<{ call: MarkCall; reason: MarkLoss; count: number }> = [];
  const observer: MarkObserver = { marksLost: (call, reason, count) => losses.push({ call, reason, count }) };
  return { observer, losses };
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

  describe('lost marks', () => {
    it('keeps marks whose writes failed three times and writes them with the next marks, losing none', async () => {
      const { store, written, attempts } = failingStore(3);
      const { observer, losses } = lossRecorder();
      const writer = new MarkWriter(store, quiet, observer);
      writer.identified([mark('a')]);
      await writer.drain();
      // Three tries, then the loop gave up: the mark waits in the queue, it is not dropped.
      expect(attempts.identify).toBe(3);
      expect(written).toEqual([]);
      expect(writer.pending()).toBe(1);
      writer.identified([mark('b')]);
      await writer.drain();
      expect(written).toEqual(['a', 'b']);
      expect(writer.pending()).toBe(0);
      expect(losses).toEqual([]);
      expect(writer.lost()).toBe(0);
    });

    it('tries once more at close, so marks kept after failed writes are written if Postgres is back', async () => {
      const { store, written, tracked } = failingStore(3);
      const { observer, losses } = lossRecorder();
      const writer = new MarkWriter(store, quiet, observer);
      writer.identified([mark('a')]);
      writer.tracked([{ touchId: 't1', outcome: 'delivered' }]);
      await writer.drain();
      expect(writer.pending()).toBe(2);
      await writer.close();
      expect(written).toEqual(['a']);
      expect(tracked).toEqual(['t1']);
      expect(losses).toEqual([]);
      expect(writer.pending()).toBe(0);
    });

    it('drops marks still failing at close and counts them as write-failed, by call', async () => {
      const { store, written, tracked, attempts } = failingStore(Infinity);
      const { observer, losses } = lossRecorder();
      const writer = new MarkWriter(store, quiet, observer);
      writer.identified([mark('a'), mark('b')]);
      writer.tracked([{ touchId: 't1', outcome: 'delivered' }]);
      await writer.drain();
      expect(losses).toEqual([]);
      await writer.close();
      expect(attempts).toEqual({ identify: 6, track: 6 });
      expect(written).toEqual([]);
      expect(tracked).toEqual([]);
      expect(losses).toEqual(
        expect.arrayContaining([
          { call: 'identify', reason: 'write-failed', count: 2 },
          { call: 'track', reason: 'write-failed', count: 1 },
        ]),
      );
      expect(losses).toHaveLength(2);
      expect(writer.lost()).toBe(3);
      expect(writer.pending()).toBe(0);
      // Closed with nothing queued: nothing more is counted.
      await writer.close();
      expect(writer.lost()).toBe(3);
    });

    it('counts the identify marks the store found no fact row for as no-row, and only those', async () => {
      const { store, written } = failingStore(0, new Set(['gone']));
      const { observer, losses } = lossRecorder();
      const writer = new MarkWriter(store, quiet, observer);
      writer.identified([mark('here'), mark('gone')]);
      await writer.drain();
      expect(written).toEqual(['here']);
      expect(losses).toEqual([{ call: 'identify', reason: 'no-row', count: 1 }]);
      expect(writer.lost()).toBe(1);
      writer.identified([mark('here')]);
      await writer.close();
      expect(writer.lost()).toBe(1);
    });
  });
});
