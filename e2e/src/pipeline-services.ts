/**
 * The four services of the pipeline, in the order they start, each with the variable it takes its
 * HTTP port from. No test framework here: the pipeline benchmark (e2e/bench) imports it too.
 */
export const SERVICES = {
  ingest: 'INGEST_PORT',
  identity: 'IDENTITY_PORT',
  attribution: 'ATTRIBUTION_PORT',
  'segment-sink': 'SINK_PORT',
} as const;
export type ServiceName = keyof typeof SERVICES;
