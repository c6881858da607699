import type { z } from 'zod';
import { resolveSecretFiles } from './secret-files';
import { describeConfigIssues } from './setting-problems';

export type SettingsResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export interface ParseSettingsOptions {
  /** The `<NAME>_FILE` settings to read (default: every one in FILE_SETTINGS). */
  fileSettings?: readonly string[];
  /** Problems of settings that only make sense together (TLS, SASL), on the environment with its files read. */
  together?: (env: NodeJS.ProcessEnv) => string[];
}

/**
 * Validates an environment against a schema, with every problem at once: `<NAME>_FILE` settings
 * are read first (secret-files.ts), each invalid setting gets one sentence naming it (a secret's
 * value is never quoted back), then the settings that only make sense together are checked.
 * The services (libs/platform's loadConfig) and the CLIs share this, so a setting is refused
 * with the same words wherever it is read.
 */
export function parseSettings<T extends z.ZodType>(
  schema: T,
  env: NodeJS.ProcessEnv,
  options: ParseSettingsOptions = {},
): SettingsResult<z.output<T>> {
  const files = resolveSecretFiles(env, { names: options.fileSettings });
  const result = schema.safeParse(files.env);
  const problems = [
    ...files.problems,
    ...(result.success ? [] : describeConfigIssues(result.error.issues, files.env)),
    ...(options.together?.(files.env) ?? []),
  ];
  if (problems.length > 0 || !result.success) return { ok: false, problems };
  return { ok: true, value: result.data };
}
