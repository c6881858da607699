import { z } from 'zod';

/** An empty variable (`X=` in an env file) means unset, so the default applies. */
export const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** A variable that holds a value (unset and empty both mean "not given"). */
export const isSet = (value: string | undefined): value is string => value !== undefined && value !== '';

/** An optional text setting: empty means unset. */
export const optionalText = z.preprocess(emptyAsUndefined, z.string().optional());

/** true/false, 1/0, yes/no. */
export const booleanText = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));

/** PEM text (from the variable itself or its _FILE): certificates, or a private key. */
export const pemText = (kind: 'CERTIFICATE' | 'PRIVATE KEY') =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine(
        (value) => new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(value),
        `must be PEM text (-----BEGIN ${kind}-----), or name a PEM file in the _FILE variable`,
      )
      .optional(),
  );
