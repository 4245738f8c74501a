/**
 * @module
 * Types for the `window.xcapi` global the script tag installs, for sites that write
 * TypeScript: add this file to the compilation (or copy it) to type `xcapi(...)` calls.
 */
import type { XcapiFunction } from './types.ts';

declare global {
  interface Window {
    xcapi?: XcapiFunction;
  }
}
