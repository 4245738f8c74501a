/**
 * @module
 * The conversion id the script sends to the edge and to X's pixel when the page
 * gives none: one id for both is what lets X count the conversion once.
 */

/**
 * A random UUID; where `crypto.randomUUID` is missing (outside secure contexts:
 * plain http), the digits of a random number, unique enough for deduplication.
 *
 * @example
 * newConversionId(); // '3b241101-e2bb-4255-8caf-4136c566a962'
 */
export function newConversionId(): string {
  return crypto.randomUUID?.() || `${Math.random()}`.slice(2);
}
