/** Nest injection tokens for plain (non-class) values. */
export const INGEST_SETTINGS = Symbol('INGEST_SETTINGS');
