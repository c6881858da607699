import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './infrastructure';
import { serviceNodeFlags } from './service-node-flags';

const SERVICES = ['ingest', 'identity', 'attribution', 'segment-sink'];

function fakeRepo(manifest: object): string {
  const root = mkdtempSync(join(tmpdir(), 'node-flags-'));
  mkdirSync(join(root, 'services', 'svc'), { recursive: true });
  writeFileSync(join(root, 'services', 'svc', 'package.json'), JSON.stringify(manifest));
  return root;
}

describe('serviceNodeFlags', () => {
  it('reads the flags a service declares, and none when it declares nothing', () => {
    expect(serviceNodeFlags('svc', fakeRepo({ touchstream: { nodeFlags: ['--max-semi-space-size=64'] } }))).toEqual([
      '--max-semi-space-size=64',
    ]);
    expect(serviceNodeFlags('svc', fakeRepo({ name: 'svc' }))).toEqual([]);
  });

  it('refuses what is not a list of Node flags, naming the file', () => {
    expect(() => serviceNodeFlags('svc', fakeRepo({ touchstream: { nodeFlags: '--max-semi-space-size=64' } }))).toThrow(
      /package\.json: touchstream\.nodeFlags must be a list of Node flags/,
    );
    expect(() => serviceNodeFlags('svc', fakeRepo({ touchstream: { nodeFlags: ['rm -rf /'] } }))).toThrow(/must be a list of Node flags/);
  });

  it.each(SERVICES)("%s: the package's start script runs the declared flags, so npm start -w and the launchers agree", (service) => {
    const manifest = JSON.parse(readFileSync(resolve(REPO_ROOT, 'services', service, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(manifest.scripts.start).toBe(['node', ...serviceNodeFlags(service), 'dist/main.js'].join(' '));
  });
});
