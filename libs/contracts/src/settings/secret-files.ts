import { readFileSync } from 'node:fs';

/**
 * Settings that may instead name a file holding their value (`<NAME>_FILE`, the convention of
 * Docker and Kubernetes secrets mounted as files): secrets, and certificates too long for an
 * environment variable. Only these: other settings ending in _FILE (SINK_DRY_RUN_FILE) are paths.
 */
export const FILE_SETTINGS = [
  'DATABASE_URL',
  'DATABASE_SSL_CA',
  'KAFKA_SSL_CA',
  'KAFKA_SSL_CERT',
  'KAFKA_SSL_KEY',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'DEBUG_TOKEN',
  'ADMIN_TOKEN',
  'INGEST_WRITE_KEYS',
  'SEGMENT_SHARED_SECRET',
  'SEGMENT_WRITE_KEY',
  'SEGMENT_PROXY_WRITE_KEY',
  'OTEL_EXPORTER_OTLP_HEADERS',
] as const;

export interface SecretFilesResult {
  env: NodeJS.ProcessEnv;
  problems: string[];
}

/**
 * The environment with every `<NAME>_FILE` read into `<NAME>` (trailing white space dropped: a
 * file written by `echo` ends with a newline). A file that cannot be read, an empty one, or a
 * setting given both ways is a problem naming the setting; the value itself is never repeated.
 */
export function resolveSecretFiles(
  env: NodeJS.ProcessEnv,
  options: {
    /** The settings a program reads (a CLI only its own); default: every one above. */
    names?: readonly string[] | undefined;
    read?: (path: string) => string;
  } = {},
): SecretFilesResult {
  const { names = FILE_SETTINGS, read = (path: string) => readFileSync(path, 'utf8') } = options;
  const resolved: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const name of names) {
    const path = env[`${name}_FILE`];
    if (path === undefined || path === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      const value = read(path).trimEnd();
      if (value === '') problems.push(`${name}_FILE: ${path} is empty`);
      else resolved[name] = value;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      problems.push(`${name}_FILE: cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
  }
  return { env: resolved, problems };
}
