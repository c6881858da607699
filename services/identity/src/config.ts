import { z } from 'zod';
import { commonEnv, databaseEnv, portSchema, schemaNameSchema } from '@touchstream/platform';

export const identityConfigSchema = z.object({
  ...commonEnv,
  ...databaseEnv,
  IDENTITY_PORT: portSchema.default(3001),
  IDENTITY_DB_SCHEMA: schemaNameSchema.default('identity'),
});
export type IdentityConfig = z.output<typeof identityConfigSchema>;
