import { loadBaseReferrers } from './base-referrers';
import { loadReferrerAdditions } from './referrer-additions';
import { ReferrerDatabase } from './referrer-database';

const additions = loadReferrerAdditions();

/**
 * referer-parser's data with the project's additions on top (later definitions win a domain),
 * indexed once when the module loads.
 */
export const referrerDatabase = new ReferrerDatabase([...loadBaseReferrers(), ...additions.referers], additions);
