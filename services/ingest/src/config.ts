import { z } from 'zod';
import { commonEnv, portSchema } from '@touchstream/platform';

export const ingestConfigSchema = z.object({
  ...commonEnv,
  INGEST_PORT: portSchema.default(3000),
});
export type IngestConfig = z.output<typeof ingestConfigSchema>;
