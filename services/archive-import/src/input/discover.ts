import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CHECKPOINT_SUFFIX } from '../checkpoint/store';

export interface DiscoveredFile {
  path: string;
  /** Named on the command line (an unreadable format is an error) or found in a folder (skipped with a warning). */
  explicit: boolean;
}

export class InputNotFoundError extends Error {
  /** `input` as given, `path` resolved: the message shows where it was looked for. */
  constructor(
    readonly input: string,
    readonly path: string = resolve(input),
  ) {
    super(path === input ? `${input}: no such file or folder` : `${input}: no such file or folder (looked for ${path})`);
    this.name = 'InputNotFoundError';
  }
}

/** Files and dot-folders the importer never treats as input: its own checkpoints, hidden files. */
export function isIgnored(name: string): boolean {
  return name.startsWith('.') || name.endsWith(CHECKPOINT_SUFFIX) || name.endsWith(`${CHECKPOINT_SUFFIX}.tmp`);
}

async function walk(folder: string, out: DiscoveredFile[]): Promise<void> {
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (isIgnored(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push({ path, explicit: false });
  }
}

/**
 * Expands the command line's files and folders (recursively, in name order), each file once;
 * relative ones are resolved against `base` (the directory the command was run from).
 */
export async function discoverInputs(inputs: readonly string[], base: string = process.cwd()): Promise<DiscoveredFile[]> {
  const found: DiscoveredFile[] = [];
  for (const input of inputs) {
    const path = resolve(base, input);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new InputNotFoundError(input, path);
    if (info.isDirectory()) await walk(path, found);
    else found.push({ path, explicit: true });
  }
  const seen = new Set<string>();
  return found.filter((file) => (seen.has(file.path) ? false : (seen.add(file.path), true)));
}
