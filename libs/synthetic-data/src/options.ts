/** What an archive is generated from; the same options always give the same archive. */
export interface ArchiveOptions {
  /** People who visit the site (some sign up and become users; the rest stay anonymous). */
  users: number;
  /** First visits are spread over this many days; no event falls after the last day. */
  days: number;
  seed: string | number;
  /** First day, ISO-8601 (default 2024-01-01T00:00:00Z). Never "now": output must not depend on the clock. */
  start?: string;
  /** Share of people who sign up (default 0.35). */
  signUpRate?: number;
}

export interface ResolvedOptions {
  users: number;
  days: number;
  seed: string;
  startMs: number;
  endMs: number;
  signUpRate: number;
}

export const DEFAULT_START = '2024-01-01T00:00:00.000Z';
export const DAY_MS = 24 * 60 * 60 * 1000;

export function resolveOptions(options: ArchiveOptions): ResolvedOptions {
  const problems: string[] = [];
  if (!Number.isInteger(options.users) || options.users < 1) problems.push('users must be a positive integer');
  if (!Number.isInteger(options.days) || options.days < 1) problems.push('days must be a positive integer');
  const seed = String(options.seed);
  if (seed.length === 0) problems.push('seed must not be empty');
  const startMs = Date.parse(options.start ?? DEFAULT_START);
  if (Number.isNaN(startMs)) problems.push('start must be an ISO-8601 date');
  const signUpRate = options.signUpRate ?? 0.35;
  if (!(signUpRate >= 0 && signUpRate <= 1)) problems.push('signUpRate must be between 0 and 1');
  if (problems.length > 0) throw new RangeError(`invalid archive options: ${problems.join('; ')}`);
  return { users: options.users, days: options.days, seed, startMs, endMs: startMs + options.days * DAY_MS, signUpRate };
}
