/**
 * @module
 * Bytes written as text: lowercase hex for hashes and nonces, base64 for
 * sealed values. Both run on every accepted conversion, so they index a table
 * or build one string rather than converting each byte through `toString(16)`
 * or spreading the bytes into one call's arguments.
 */

/** Two hex digits per byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * Lowercase hex of `bytes`.
 *
 * @example
 * toHex(new Uint8Array([0, 171, 255])); // '00abff'
 */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX_BYTES[byte];
  return hex;
}

/**
 * Standard base64 (with padding) of `bytes`.
 *
 * @example
 * toBase64(new Uint8Array([104, 105])); // 'aGk='
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
