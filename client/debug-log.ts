/**
 * @module
 * The debug switch (`data-debug` on the tag, `xcapi('debug')`, or `init({debug: true})`):
 * once on, the script says in the console why something was not stored or sent,
 * instead of staying silent as it must for visitors.
 */

let on = false;

/** Turns the console messages on for the rest of the page's life. */
export const debugOn = (): void => {
  on = true;
};

/** `xcapi: <what> <why>` in the console while debugging; nothing otherwise. */
export const debugLog = (what: unknown, why: string): void => {
  if (on) console.info('xcapi', what, why);
};
