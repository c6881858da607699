/** The importer's exit codes (README and --help list them). */
export const EXIT = {
  /** Every file was read to the end; rejected records (if any) are in the rejected topic. */
  ok: 0,
  /** --fail-on-rejected and at least one record was rejected. */
  rejected: 1,
  /** Bad options or environment (Kafka refusing the credentials or certificate too), or an input path that does not exist. */
  usage: 2,
  /** At least one file could not be imported (unreadable, unknown format, changed since its checkpoint). */
  input: 3,
  /** Kafka could not be reached or did not acknowledge a batch; re-run to resume. */
  kafka: 4,
  /** Stopped by SIGINT/SIGTERM after the batch in flight was acknowledged; re-run to resume. */
  interrupted: 130,
  /** A bug: an unexpected error (its stack is printed). */
  internal: 70,
} as const;

export const EXIT_CODE_HELP = `
Exit codes:
  0    every file was read to the end (rejected records are reported and in the rejected topic)
  1    --fail-on-rejected was given and some records were rejected
  2    invalid options or environment (Kafka refused the credentials or certificate), or an
       input path does not exist
  3    some file could not be imported (unreadable, unknown format, changed since its checkpoint)
  4    Kafka unreachable or a batch not acknowledged: re-run the same command to resume
  70   unexpected internal error (stack trace printed)
  130  interrupted (Ctrl-C / SIGTERM): re-run the same command to resume`;
