import { z } from 'zod';
import { commonEnv, databaseEnv, portSchema, schemaNameSchema } from '@touchstream/platform';

export const segmentSinkConfigSchema = z.object({
  ...commonEnv,
  ...databaseEnv,
  SINK_PORT: portSchema.default(3003),
  SINK_DB_SCHEMA: schemaNameSchema.default('sink'),
});
export type SegmentSinkConfig = z.output<typeof segmentSinkConfigSchema>;
