/**
 * A fresh conversion id, sent to the edge and to X's pixel alike so X counts the
 * conversion once. Outside secure contexts (no `crypto.randomUUID`), a random `0.<digits>`.
 */
export function newConversionId(): string {
  return crypto.randomUUID?.() || `${Math.random()}`;
}
