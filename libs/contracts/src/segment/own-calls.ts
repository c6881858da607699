/**
 * The name segment-sink puts in `context.library` of every call it sends to Segment. When the
 * Segment source the results are written to also feeds touchstream (its webhook destination, or
 * a warehouse export imported later), touchstream receives its own identify and Source Identified
 * calls back: a Source Identified track carries the touch's URL and both ids, so read as input it
 * would become a new touch (and a link) and be sent out again, for ever. Consumers recognise these
 * calls by this name and skip them.
 */
export const TOUCHSTREAM_LIBRARY_NAME = 'touchstream-segment-sink';

/** True for a call touchstream itself sent to Segment (context.library.name), whatever else it carries. */
export function isTouchstreamCall(event: object): boolean {
  const context = (event as { context?: unknown }).context;
  if (typeof context !== 'object' || context === null) return false;
  const library = (context as { library?: unknown }).library;
  if (typeof library !== 'object' || library === null) return false;
  return (library as { name?: unknown }).name === TOUCHSTREAM_LIBRARY_NAME;
}
