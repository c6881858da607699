import type { z } from 'zod';

/** zod's own messages ("Invalid input: expected number, received NaN"): rewritten in words. A schema's own message is kept. */
const ZOD_DEFAULT = /^(Invalid input|Invalid option|Too big|Too small|Invalid string|Invalid element|Invalid key|Invalid value)\b/;

const shown = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** Settings whose value is a credential or may hold one: never quoted back into a log. */
const SECRET_SETTING = /(TOKEN|SECRET|PASSWORD|_KEYS?$|DATABASE_URL|SASL|HEADERS)/;

/** What a setting must be, from the issue and the setting's name (ports are numbers with a purpose). */
function requirement(name: string, issue: z.core.$ZodIssue): string {
  const isPort = /(^|_)PORT$/.test(name);
  switch (issue.code) {
    case 'invalid_type':
      if (isPort) return 'must be a port number (0-65535)';
      if (issue.expected === 'number') return 'must be a number';
      if (issue.expected === 'int') return 'must be a whole number';
      return `must be a ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
    case 'too_small':
      if (isPort) return 'must be a port number (0-65535)';
      return issue.origin === 'string'
        ? `must be at least ${String(issue.minimum)} characters`
        : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (isPort) return 'must be a port number (0-65535)';
      return issue.origin === 'string' ? `must be at most ${String(issue.maximum)} characters` : `must be at most ${String(issue.maximum)}`;
    default:
      return 'is not valid';
  }
}

/**
 * One sentence per invalid setting, naming it and quoting what it was given, e.g.
 * `INGEST_PORT must be a port number (0-65535), got "abc"`. A setting with several issues gets
 * its first only: once it is fixed, the next run says what else is wrong.
 */
export function describeConfigIssues(issues: readonly z.core.$ZodIssue[], env: Readonly<Record<string, unknown>>): string[] {
  const problems = new Map<string, string>();
  for (const issue of issues) {
    const name = issue.path.map(String).join('.') || '(environment)';
    if (problems.has(name)) continue;
    const value = issue.path.length === 1 && !SECRET_SETTING.test(name) ? env[String(issue.path[0])] : undefined;
    const got = value === undefined ? '' : `, got ${shown(value)}`;
    if (!ZOD_DEFAULT.test(issue.message)) {
      // The schema's own sentence: it usually names the setting already.
      const sentence = issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
      problems.set(name, value === undefined || sentence.includes(shown(value)) ? sentence : `${sentence} (got ${shown(value)})`);
      continue;
    }
    problems.set(name, `${name} ${requirement(name, issue)}${got}`);
  }
  return [...problems.values()];
}
