import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(__dirname, '..', '..');
const readme = readFileSync(resolve(REPO_ROOT, 'README.md'), 'utf8');
const compose = readFileSync(resolve(REPO_ROOT, 'docker-compose.yml'), 'utf8');

/** Every variable named in the first cell of a README table row: the configuration table's settings. */
const settings = [
  ...new Set(
    readme
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1] as string)),
  ),
];
/** Environment keys docker-compose.yml sets or passes through (`  NAME:` or `  NAME: value`). */
const composeKeys = new Set([...compose.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]));

describe('docker-compose.yml', () => {
  it('reaches every setting of the README configuration table', () => {
    expect(settings.length).toBeGreaterThan(60);
    expect(settings.filter((name) => !composeKeys.has(name))).toEqual([]);
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const ports = [...compose.matchAll(/ports: \[(.*)\]/g)].flatMap((match) => (match[1] ?? '').split(','));
    expect(ports.length).toBeGreaterThanOrEqual(4);
    for (const port of ports) expect(port.trim()).toMatch(/^'127\.0\.0\.1:/);
  });
});
