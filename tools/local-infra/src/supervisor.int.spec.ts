import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor';

/** Polls until the condition holds (tools/testing's waitFor depends on this lib, so it is not used here). */
async function waitFor(condition: () => boolean, { description }: { description: string }): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A process that stays up until it is signalled. */
const steady = ['-e', 'setInterval(() => undefined, 1000)'];
/** A process that exits with 1 the first `failures` times it starts (counted in a file), then stays up. */
function flaky(failures: number): string[] {
  const counter = join(mkdtempSync(join(tmpdir(), 'supervisor-')), 'starts');
  writeFileSync(counter, '0');
  const script = `const fs = require('node:fs'); const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1;
    fs.writeFileSync(${JSON.stringify(counter)}, String(n)); if (n <= ${failures}) process.exit(1); setInterval(() => undefined, 1000);`;
  return ['-e', script];
}

describe('Supervisor (npm start): a service that exits is started again, bounded, and the others keep running', () => {
  const policy = { maxRestarts: 3, initialDelayMs: 10, maxDelayMs: 40, stableAfterMs: 60_000 };
  let supervisor: Supervisor | null = null;

  afterEach(async () => {
    await supervisor?.stop();
  });

  function supervise() {
    const lines: string[] = [];
    const gaveUp: string[] = [];
    supervisor = new Supervisor({ log: (line) => lines.push(line), onGiveUp: (name) => gaveUp.push(name), policy });
    return { lines, gaveUp, supervisor };
  }

  it('restarts a service that exits at boot until it stays up, saying so, and touches no other', async () => {
    const { lines, gaveUp, supervisor } = supervise();
    supervisor.start({ name: 'ingest', command: process.execPath, args: steady, env: process.env, stdio: 'ignore' });
    const ingest = supervisor.child('ingest')?.pid;
    supervisor.start({ name: 'attribution', command: process.execPath, args: flaky(2), env: process.env, stdio: 'ignore' });

    await waitFor(() => lines.filter((line) => line.startsWith('attribution exited (exit code 1); restarting it')).length === 2, {
      description: 'two restarts',
    });
    await waitFor(() => supervisor.running().length === 2, { description: 'both running' });
    expect(lines).toEqual([
      expect.stringMatching(/^attribution exited \(exit code 1\); restarting it in 0\.0 s \(restart 1 of 3\)$/),
      expect.stringMatching(/^attribution exited \(exit code 1\); restarting it in 0\.0 s \(restart 2 of 3\)$/),
    ]);
    expect(gaveUp).toEqual([]);
    expect(supervisor.child('ingest')?.pid).toBe(ingest);
  });

  it('gives up on a service that keeps exiting after its restarts, and only then tells the caller', async () => {
    const { lines, gaveUp, supervisor } = supervise();
    supervisor.start({ name: 'ingest', command: process.execPath, args: steady, env: process.env, stdio: 'ignore' });
    const ingest = supervisor.child('ingest')?.pid;
    supervisor.start({ name: 'identity', command: process.execPath, args: flaky(100), env: process.env, stdio: 'ignore' });

    await waitFor(() => gaveUp.length > 0, { description: 'the supervisor to give up' });
    expect(gaveUp).toEqual(['identity']);
    expect(lines.filter((line) => line.includes('restarting it'))).toHaveLength(3);
    expect(lines.at(-1)).toBe('identity exited (exit code 1) after 3 restarts in a row; giving up');
    expect(supervisor.running()).toEqual(['ingest']);
    expect(supervisor.child('ingest')?.pid).toBe(ingest);
  });

  it('does not restart a service that refused its configuration (exit code 78): it would fail the same way', async () => {
    const { lines, gaveUp, supervisor } = supervise();
    supervisor.start({ name: 'ingest', command: process.execPath, args: steady, env: process.env, stdio: 'ignore' });
    supervisor.start({
      name: 'segment-sink',
      command: process.execPath,
      args: ['-e', 'process.exit(78)'],
      env: process.env,
      stdio: 'ignore',
    });

    await waitFor(() => gaveUp.length > 0, { description: 'the supervisor to give up' });
    expect(gaveUp).toEqual(['segment-sink']);
    expect(lines).toEqual(['segment-sink refused its configuration (exit code 78); not restarting it']);
    expect(supervisor.running()).toEqual(['ingest']);
  });

  it('restarts nothing once stopped', async () => {
    const { lines, supervisor } = supervise();
    supervisor.start({ name: 'segment-sink', command: process.execPath, args: steady, env: process.env, stdio: 'ignore' });
    await supervisor.stop();
    expect(supervisor.running()).toEqual([]);
    expect(lines).toEqual([]);
  });
});
