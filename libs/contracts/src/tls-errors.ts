/**
 * Node's TLS verification failures, as a client sees a server certificate it does not trust
 * (unknown or self-signed issuer, bad signature, expired or not yet valid). Kafka and Postgres
 * clients both stop a boot on these with one line naming the CA setting: no retry fixes them.
 */
const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

export function isUntrustedCertificate(code: string): boolean {
  return UNTRUSTED_CERTIFICATE_CODES.has(code);
}
