import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './infrastructure';

/**
 * The Node flags a service runs with, declared once in its package.json
 * (`"touchstream": { "nodeFlags": [...] }`) and used by every launcher: `npm start`, the
 * benchmarks, the container image. A benchmark that ran with flags production does not use
 * would measure a different program (identity's 64 MB young generation is worth ~10% there).
 */
export function serviceNodeFlags(service: string, repoRoot: string = REPO_ROOT): string[] {
  const file = resolve(repoRoot, 'services', service, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { touchstream?: { nodeFlags?: unknown } };
  const flags = manifest.touchstream?.nodeFlags ?? [];
  if (!Array.isArray(flags) || !flags.every((flag) => typeof flag === 'string' && /^--[a-z0-9-]+(=\S+)?$/.test(flag))) {
    throw new Error(`${file}: touchstream.nodeFlags must be a list of Node flags such as "--max-semi-space-size=64"`);
  }
  return flags as string[];
}
