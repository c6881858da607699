export type AckOutcome = { kind: 'acked' } | { kind: 'failed'; error: unknown } | { kind: 'timeout' };

/**
 * Waits for the broker's acknowledgement, but no longer than `timeoutMs`. A send that times out
 * keeps running (a produce request cannot be recalled): its late failure is swallowed here, and
 * its late success means the events are in the topic although the sender was told 503.
 */
export function awaitAck(ack: Promise<void>, timeoutMs: number): Promise<AckOutcome> {
  return new Promise<AckOutcome>((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    ack.then(
      () => {
        clearTimeout(timer);
        resolve({ kind: 'acked' });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ kind: 'failed', error });
      },
    );
  });
}
