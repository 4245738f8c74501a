/**
 * A fresh conversion id, sent to the edge and to X's pixel alike so X counts the
 * conversion once. Outside secure contexts (no `crypto.randomUUID`), random digits.
 */
export function newConversionId(): string {
  return crypto.randomUUID?.() || `${Math.random()}`.slice(2);
}
