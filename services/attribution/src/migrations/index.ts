import { PlatformTables1764370000000 } from '@touchstream/database';

/** Applied in order at boot; never edit one that has shipped, add a new one. */
export const attributionMigrations = [PlatformTables1764370000000];
