import { z } from 'zod';
import { commonEnv, databaseEnv, portSchema, schemaNameSchema } from '@touchstream/platform';

export const attributionConfigSchema = z.object({
  ...commonEnv,
  ...databaseEnv,
  ATTRIBUTION_PORT: portSchema.default(3002),
  ATTRIBUTION_DB_SCHEMA: schemaNameSchema.default('attribution'),
});
export type AttributionConfig = z.output<typeof attributionConfigSchema>;
