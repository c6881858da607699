/** The answer for one request once retries are over: delivered, or refused for its content. */
export type RequestOutcome = { kind: 'delivered' } | { kind: 'rejected'; detail: string };

export interface IsolationHooks<T> {
  /** A run of events Segment accepted (2xx). */
  delivered: (items: T[]) => Promise<void>;
  /** One event Segment refused on its own: it goes to the dead-letter topic with the reason. */
  rejected: (item: T, detail: string) => Promise<void>;
}

/**
 * Sends a batch; when Segment refuses it (400: a 200 would mean everything was taken), it does
 * not say which event it disliked, so the batch is halved and each half sent again until the
 * refused events stand alone. The rest is delivered: k bad events in n cost about 2k·log2(n)
 * extra requests. `send` retries transient failures itself and only returns final answers.
 */
export async function deliverIsolatingRejects<T>(
  items: readonly T[],
  send: (items: T[]) => Promise<RequestOutcome>,
  hooks: IsolationHooks<T>,
): Promise<void> {
  if (items.length === 0) return;
  const outcome = await send([...items]);
  if (outcome.kind === 'delivered') return hooks.delivered([...items]);
  if (items.length === 1) return hooks.rejected(items[0] as T, outcome.detail);
  const middle = Math.ceil(items.length / 2);
  await deliverIsolatingRejects(items.slice(0, middle), send, hooks);
  await deliverIsolatingRejects(items.slice(middle), send, hooks);
}
