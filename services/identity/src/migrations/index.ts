import { PlatformTables1764370000000 } from '@touchstream/database';
import { IdentityGraphTables1764400000000 } from './identity-graph-tables';

/** Applied in order at boot; never edit one that has shipped, add a new one. */
export const identityMigrations = [PlatformTables1764370000000, IdentityGraphTables1764400000000];
