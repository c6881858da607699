/**
 * The session settings every service connection asks for in its startup options
 * (createDataSource): commits durable before they return, no JIT.
 */
export const REQUIRED_SESSION_SETTINGS = { synchronous_commit: 'on', jit: 'off' } as const;

/**
 * Why a connection's session is not what the startup options asked for, or undefined when it is.
 * PostgreSQL always applies startup options; a connection pooler may not: PgBouncer refuses them
 * unless told to ignore them (ignore_startup_parameters=options), and then the session keeps the
 * server's defaults. synchronous_commit=off would let a crash lose commits whose Kafka offsets
 * were committed after them, so the service refuses to run on such a session.
 */
export function sessionSettingsProblem(seen: { synchronous_commit?: string | null; jit?: string | null }): string | undefined {
  const ignored: string[] = [];
  // local, remote_write and remote_apply are durable on this server too; only off loses commits.
  if (seen.synchronous_commit === 'off') ignored.push('synchronous_commit=off');
  // jit is missing before PostgreSQL 11: nothing to turn off there.
  if (seen.jit && seen.jit !== 'off') ignored.push(`jit=${seen.jit}`);
  if (ignored.length === 0) return undefined;
  return (
    `the PostgreSQL session ignored the connection's startup options (${ignored.join(', ')}; asked for synchronous_commit=on, jit=off): ` +
    'a connection pooler between the service and PostgreSQL drops them. Point DATABASE_URL at PostgreSQL or at a session-mode pool that passes them, ' +
    'or set them on the role (ALTER ROLE ... SET synchronous_commit = on; ALTER ROLE ... SET jit = off)'
  );
}

/** A PgBouncer refusal of the startup options, as one line naming what to change. */
export function describePoolerRefusal(error: unknown): string | undefined {
  const message = (error as { message?: unknown } | undefined)?.message;
  if (typeof message !== 'string' || !/unsupported (options )?startup parameter/i.test(message)) return undefined;
  return `a connection pooler in DATABASE_URL refused the services' startup options (${message}): point DATABASE_URL at PostgreSQL or at a session-mode pool (docs/operations.md, "Connection poolers")`;
}
