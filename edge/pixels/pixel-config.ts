/**
 * @module
 * The pixels one deployment serves, read from `X_PIXELS` (a JSON array of
 * `{id, events, origins, account?}`) with valibot. The one-pixel settings
 * (`X_PIXEL_ID`, `X_EVENTS`, `ALLOWED_ORIGINS`) become a list of one in
 * edge/config.ts, so everything after parsing has one path. Pure: the text in,
 * the list and the problems out.
 */
import * as v from 'valibot';

export const PIXEL_ID = /^[a-z0-9]{3,16}$/i;
export const EVENT_NAME = /^[a-z0-9_.-]{1,64}$/i;
/** Single Event Tag ids look like `o9d2g`; X also accepts `tw-<pixel>-<event>`. */
export const EVENT_TAG_ID = /^(?:tw-[a-z0-9]{3,16}-)?[a-z0-9]{3,16}$/i;
/** An origin as configured: scheme and host, no path. */
export const ORIGIN = /^https?:\/\/[^/\s]+$/;
/** X's ad account ids look like `18ce552mlaq`. */
const ACCOUNT_ID = /^[a-z0-9]{3,32}$/i;
/** Far more than a deployment is sized for (see README, "Several pixels"). */
export const MAX_PIXELS = 1000;

/** One pixel as configured: its tags, the sites that send its browser calls, its ad account. */
export interface PixelEntry {
  id: string;
  /** Event name (as the browser script sends it) to Single Event Tag id. */
  events: Readonly<Record<string, string>>;
  origins: readonly string[];
  /** Pixels of one ad account share X's rate budget; absent: the pixel is its own account. */
  account?: string;
}

const entrySchema = v.strictObject(
  {
    id: v.pipe(
      v.string('id must be a string'),
      v.regex(PIXEL_ID, 'id must be the pixel id from X Events Manager, e.g. o9d7n'),
    ),
    events: v.pipe(
      v.record(
        v.pipe(v.string(), v.regex(EVENT_NAME, 'event names are 1-64 letters, digits, _ . or -')),
        v.pipe(
          v.string('events must map to Single Event Tag ids'),
          v.regex(EVENT_TAG_ID, 'events must map to Single Event Tag ids such as "o9d2g"'),
        ),
        'events must be an object of event name to Single Event Tag id',
      ),
      v.check((events) => Object.keys(events).length > 0, 'events must name at least one event'),
    ),
    origins: v.array(
      v.pipe(
        v.string('origins must be strings'),
        v.transform((origin) => origin.trim().replace(/\/+$/, '')),
        v.regex(ORIGIN, 'origins must look like https://shop.example'),
      ),
      'origins must be a list of origins',
    ),
    account: v.optional(
      v.pipe(
        v.string('account must be a string'),
        v.regex(ACCOUNT_ID, 'account must be the ad account id, e.g. 18ce552mlaq'),
      ),
    ),
  },
  'each pixel is {"id", "events", "origins", "account"?}',
);

const listSchema = v.pipe(
  v.array(entrySchema, 'X_PIXELS must be a JSON array of pixels'),
  v.minLength(1, 'X_PIXELS must list at least one pixel'),
  v.maxLength(MAX_PIXELS, `X_PIXELS lists at most ${MAX_PIXELS} pixels`),
);

/** Where in X_PIXELS an issue is, e.g. `X_PIXELS[1].events.purchase`. */
function issuePlace(issue: v.BaseIssue<unknown>): string {
  let place = 'X_PIXELS';
  for (const item of issue.path ?? []) {
    const key = String(item.key).slice(0, 64);
    place += typeof item.key === 'number' ? `[${key}]` : `.${key}`;
  }
  return place;
}

/** The canonical form of an configured origin, as browsers send it (`https://A.example:443` -> `https://a.example`). */
export function canonicalOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/** What no single entry can see: a pixel listed twice, an origin or a tag under two pixels. */
function crossProblems(pixels: readonly PixelEntry[]): string[] {
  const problems: string[] = [];
  const ids = new Map<string, string>();
  const origins = new Map<string, string>();
  const tags = new Map<string, string>();
  for (const pixel of pixels) {
    const id = pixel.id.toLowerCase();
    if (ids.has(id)) problems.push(`X_PIXELS: pixel ${pixel.id} is listed twice`);
    ids.set(id, pixel.id);
    for (const origin of pixel.origins) {
      const key = canonicalOrigin(origin);
      const other = origins.get(key);
      if (other !== undefined && other !== pixel.id) {
        problems.push(
          `X_PIXELS: origin ${key} is listed under pixels ${other} and ${pixel.id}; a browser call must name one pixel`,
        );
      }
      origins.set(key, pixel.id);
    }
    for (const tag of new Set(Object.values(pixel.events))) {
      const other = tags.get(tag);
      if (other !== undefined && other !== pixel.id) {
        problems.push(
          `X_PIXELS: event tag ${tag} is listed under pixels ${other} and ${pixel.id}; X gives each tag to one pixel`,
        );
      }
      tags.set(tag, pixel.id);
    }
  }
  return problems;
}

/**
 * The pixels `X_PIXELS` lists, or the problems that keep it from being read.
 *
 * @example
 * parsePixels('[{"id":"o9d7n","events":{"purchase":"o9d2g"},"origins":["https://a.example"]}]');
 * // { pixels: [{ id: 'o9d7n', events: { purchase: 'o9d2g' }, origins: ['https://a.example'] }], problems: [] }
 */
export function parsePixels(raw: string): { pixels: PixelEntry[]; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return {
      pixels: [],
      problems: [
        'X_PIXELS is not valid JSON: expected e.g. [{"id":"o9d7n","events":{"purchase":"o9d2g"},"origins":["https://shop.example"]}]',
      ],
    };
  }
  const result = v.safeParse(listSchema, json);
  if (!result.success) {
    return {
      pixels: [],
      problems: result.issues.map((issue) => `${issuePlace(issue)}: ${issue.message}`),
    };
  }
  const pixels = result.output.map((entry): PixelEntry => {
    // Null prototype: an event named `__proto__` is an ordinary key, as in X_EVENTS.
    const events: Record<string, string> = Object.assign(Object.create(null), entry.events);
    return {
      id: entry.id,
      events,
      origins: entry.origins,
      ...(entry.account === undefined ? {} : { account: entry.account }),
    };
  });
  return { pixels, problems: crossProblems(pixels) };
}
