/** The value of `--name=value` in argv (everything after the first '='), or undefined. */
export function optionValue(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** `--name=N` as a positive integer, `fallback` when absent; throws on anything else. */
export function positiveIntegerOption(argv: readonly string[], name: string, fallback: number): number {
  const raw = optionValue(argv, name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}
