/**
 * @module
 * The ingest benchmark's baseline: the least a correct conversion ingest must
 * do per beacon, written as directly as a Worker allows. It parses the JSON
 * body, hashes the email (trimmed, lowercased, SHA-256 hex), stores one
 * message on a queue, and answers 202 with the same JSON shape as the edge.
 * No origin check, no rate limit, no schema, no address sealing: what the
 * edge does beyond this is what the edge/minimal ratio prices.
 */

interface MinimalEnv {
  INGEST_QUEUE: Queue;
}

interface Beacon {
  event?: unknown;
  email?: unknown;
  conversion_id?: unknown;
}

const encoder = new TextEncoder();

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

function badRequest(message: string): Response {
  return Response.json({ errors: [{ code: 'INVALID_REQUEST', message }] }, { status: 400 });
}

export default {
  async fetch(request, env) {
    let beacon: Beacon;
    try {
      beacon = (await request.json()) as Beacon;
    } catch {
      return badRequest('Request body is not valid JSON');
    }
    if (typeof beacon !== 'object' || beacon === null || typeof beacon.email !== 'string') {
      return badRequest('email is required');
    }
    const { email, ...rest } = beacon;
    const conversionId =
      typeof rest.conversion_id === 'string' ? rest.conversion_id : crypto.randomUUID();
    const hashedEmail = await sha256Hex(email.trim().toLowerCase());
    await env.INGEST_QUEUE.send(
      { ...rest, conversion_id: conversionId, hashed_email: hashedEmail, accepted_at: Date.now() },
      { contentType: 'json' },
    );
    return Response.json({ accepted: 1, conversion_ids: [conversionId] }, { status: 202 });
  },
} satisfies ExportedHandler<MinimalEnv>;
