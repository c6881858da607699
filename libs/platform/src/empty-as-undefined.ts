/** An empty variable (`X=` in an env file) means unset, so the default applies. */
export const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
