/** X takes at most 500 conversions per request. */
export const MAX_CONVERSIONS_PER_REQUEST = 500;
