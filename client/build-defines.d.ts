/**
 * @module
 * Constants the build writes into the script (esbuild `define` in
 * scripts/build-client.ts), taken from the edge's settings spec so the
 * script's defaults are the edge's.
 */

/** `COOKIE_DAYS`'s default: the `_twclid` cookie's lifetime when the tag sets none. */
declare const XCAPI_COOKIE_DAYS: number;
