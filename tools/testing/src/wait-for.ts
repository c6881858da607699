export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when the condition never held. */
  description?: string;
}

/** What a probe returns for "not yet": `find()` and `?.` give undefined, a lookup gives null, a check gives false. */
export type NotYet = undefined | null | false;

/**
 * Polls until `probe` returns a value other than undefined, null or false (a thrown error also
 * counts as "not yet"), then returns it. Tests wait on conditions, never on fixed sleeps.
 */
export async function waitFor<T>(probe: () => T | NotYet | Promise<T | NotYet>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.description ?? 'a condition'}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until every id in `ids` is among the messages read so far, then returns them all. A count
 * of messages is not enough where some can arrive twice (a relay re-publishing after a kill).
 */
export function waitForIds<M>(
  read: () => M[],
  idOf: (message: M) => unknown,
  ids: Iterable<string>,
  options: WaitOptions = {},
): Promise<M[]> {
  const wanted = [...ids];
  return waitFor(() => {
    const messages = read();
    const seen = new Set(messages.map(idOf));
    return wanted.every((id) => seen.has(id)) && messages;
  }, options);
}
