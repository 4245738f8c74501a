/**
 * @module
 * The baseline for the ingest benchmark: a Worker that answers every request
 * with the same 202 JSON the real `/events` route returns, and does nothing
 * else. Started exactly like the real edge, it measures what workerd, the
 * local dev server and the load generator cost on their own, so the ingest
 * figure can be read as a ratio against it.
 */

const ACCEPTED_BODY = JSON.stringify({ accepted: 1, conversion_ids: ['bench-baseline'] });

export default {
  fetch() {
    return new Response(ACCEPTED_BODY, {
      status: 202,
      headers: { 'content-type': 'application/json' },
    });
  },
} satisfies ExportedHandler;
