import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The package's declared bins, as npm links them (they run the built dist/, which `npm test` builds first).
const BIN = resolve(__dirname, '..', '..', '..', '..', 'node_modules', '.bin');
const work = mkdtempSync(join(tmpdir(), 'touchstream-bins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (bin: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(join(BIN, bin), args, { cwd: work, encoding: 'utf8', env: { ...process.env, INIT_CWD: work, ...env }, timeout: 60_000 });

describe('the touchstream-import and touchstream-generate bins', () => {
  it('answer --help with exit code 0', () => {
    const generate = run('touchstream-generate', ['--help']);
    expect(generate.status, generate.stderr).toBe(0);
    expect(generate.stdout).toContain('--users <n>');
    const imported = run('touchstream-import', ['--help']);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('<paths...>');
  });

  it('generate an archive where they were run and dry-run import it from there, by relative paths', () => {
    const generate = run('touchstream-generate', ['--users', '20', '--days', '2', '--seed', 'bins', '--out', 'a.ndjson.gz']);
    expect(generate.status, generate.stderr).toBe(0);
    expect(generate.stdout).toContain(join(work, 'a.ndjson.gz'));
    const imported = run('touchstream-import', ['--dry-run', '--progress', 'none', 'a.ndjson.gz']);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^Dry run: validated and counted, nothing was written\./);
    expect(imported.stdout).not.toMatch(/imported/i);
    const missing = run('touchstream-import', ['--dry-run', 'nowhere.ndjson']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe(`error: nowhere.ndjson: no such file or folder (looked for ${join(work, 'nowhere.ndjson')})`);
  });
});
