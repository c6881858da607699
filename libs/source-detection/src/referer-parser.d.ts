// referer-parser 0.0.3 ships no types. Only what base-referrers.ts reads is declared.
declare module 'referer-parser' {
  /** One entry of the package's domain table, built from its bundled referers.yml. */
  interface RefererDefinition {
    name: string;
    medium: string;
    params?: string[];
  }

  class Referer {
    constructor(refererUrl: string, currentUrl?: string, referers?: Record<string, RefererDefinition>);
    /** The domain table the instance looks up: `domain` or `domain/path` -> definition. */
    referers: Record<string, RefererDefinition>;
  }

  export = Referer;
}
