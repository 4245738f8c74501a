/**
 * @module
 * Consent from several banner standards at once: the stricter wins. A standard the
 * page uses but that has not answered yet holds consent back like a refusal; with
 * none present, consent stays pending. Only a change is reported: a grant, and a
 * withdrawal of an earlier grant (a refusal before any grant leaves held conversions
 * waiting, in case the visitor changes their mind).
 */

/** A standard's answer: granted, not granted, or present but not answered (undefined). */
export type SourceAnswer = boolean | undefined;

/**
 * Tracks each standard's answer and calls `onChange(true)` on a grant,
 * `onChange(false)` on a withdrawal.
 *
 * @example
 * const answer = consentSources((granted) => xcapi('consent', granted));
 * answer('tcf', undefined); // present, waiting
 * answer('tcf', true); // onChange(true)
 */
export function consentSources(
  onChange: (granted: boolean) => void,
): (source: string, answer: SourceAnswer) => void {
  const answers: Record<string, SourceAnswer> = {};
  let granted = false;
  return function answer(source, value) {
    answers[source] = value;
    const values = Object.values(answers);
    const now = values.length > 0 && values.every((v) => v === true);
    if (now !== granted) {
      granted = now;
      onChange(now);
    }
  };
}
