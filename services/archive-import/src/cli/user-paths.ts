import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

/**
 * The directory the person ran the command from. `npm run import` runs the script from the
 * repository root and puts the caller's directory in INIT_CWD; a relative path on the command
 * line means the caller's directory, not the root.
 */
export function userDirectory(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  const initCwd = env.INIT_CWD;
  return initCwd !== undefined && isAbsolute(initCwd) ? initCwd : cwd;
}

/** A command-line path, resolved against the directory the person ran the command from. */
export function userPath(path: string, env: NodeJS.ProcessEnv, cwd?: string): string {
  return resolve(userDirectory(env, cwd), path);
}

/**
 * Why a path cannot be written as a new output, in one line, or undefined when it can: an
 * existing directory where a file is wanted, or anything existing (output is never overwritten:
 * an archive or export is worth more than the second it takes to choose another name).
 */
export async function outputProblem(path: string, option: string, kind: 'file' | 'folder'): Promise<string | undefined> {
  const existing = await stat(path).catch(() => undefined);
  if (existing === undefined) return undefined;
  if (existing.isDirectory() && kind === 'file')
    return `${option} ${path} is a directory: give the file to write, e.g. ${resolve(path, 'archive.ndjson.gz')}`;
  return `${option} ${path} already exists: choose another name or remove it first`;
}
