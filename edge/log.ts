/**
 * @module
 * The one logger of the edge: one JSON line per call, snake_case field names.
 * The privacy rule lives here rather than at each call site: fields named like
 * an identifier or a secret are replaced, and IP and email addresses inside any
 * string are masked, so a careless call cannot leak them.
 */

export type LogFields = Record<string, unknown>;
type Level = 'info' | 'warn' | 'error';

const DEC_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${DEC_OCTET}(?:\\.${DEC_OCTET}){3}`;
const H = '[0-9a-f]{1,4}';
// Forms with an embedded IPv4 come first: alternation takes the first branch that fits.
const IPV6_FORMS = [
  `(?:${H}:){6}${IPV4}`,
  `::(?:ffff(?::0{1,4})?:)?${IPV4}`,
  `(?:${H}:){1,5}:${IPV4}`,
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
];
// The lookarounds keep `std::map` or a clock time from counting as an address;
// the optional zone (`fe80::1%eth0`) is masked with it.
const IPV6 = `(?<![\\w:.])(?:${IPV6_FORMS.join('|')})(?:%[\\w.-]+)?(?![\\w:]|\\.\\d)`;
const IP_PATTERN = new RegExp(`${IPV6}|(?<![\\w.])${IPV4}(?![\\w]|\\.\\d)`, 'gi');
const EMAIL_PATTERN = /[\w.+%-]+@[\w-]+(?:\.[\w-]+)+/g;

/** Replaces every IPv4 and IPv6 address in `text` with `[ip]`. */
export function maskAddresses(text: string): string {
  return text.replace(IP_PATTERN, '[ip]');
}

function maskText(text: string): string {
  return maskAddresses(text).replace(EMAIL_PATTERN, '[email]');
}

/** Field names whose values are personal identifiers or secrets, never logged as they are. */
const IDENTIFIER_FIELDS = new Set([
  'email',
  'phone',
  'phone_number',
  'user_agent',
  'authorization',
  'cookie',
  'set_cookie',
  'x_pixel_token',
  'password',
  'key',
  'token',
  'secret',
]);
const IP_FIELDS = new Set(['ip', 'ip_address', 'client_ip', 'cf_connecting_ip']);
const SECRET_SUFFIX = /_(?:secret|token|key|password)$/;

function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1));
  if (value instanceof Error) return errorName(value);
  const out: LogFields = {};
  for (const [rawName, field] of Object.entries(value)) {
    const name = snakeCase(rawName);
    if (field === undefined) continue;
    if (IP_FIELDS.has(name)) out[name] = '[ip]';
    else if (IDENTIFIER_FIELDS.has(name) || SECRET_SUFFIX.test(name)) out[name] = '[redacted]';
    else out[name] = clean(field, depth + 1);
  }
  return out;
}

/** The log line for `msg` and `fields`, as written: exported for tests and tools. */
export function formatLine(level: Level, msg: string, fields: LogFields = {}): string {
  return JSON.stringify({ level, msg: maskText(msg), ...(clean(fields, 0) as LogFields) });
}

function write(level: Level, msg: string, fields?: LogFields): void {
  const line = formatLine(level, msg, fields);
  if (level === 'info') console.log(line);
  else if (level === 'warn') console.warn(line);
  else console.error(line);
}

export const log = {
  info: (msg: string, fields?: LogFields): void => write('info', msg, fields),
  warn: (msg: string, fields?: LogFields): void => write('warn', msg, fields),
  error: (msg: string, fields?: LogFields): void => write('error', msg, fields),
};

/** A loggable name for anything thrown: never its message, which may quote user input. */
export function errorName(err: unknown): string {
  if (err instanceof Error) return err.name || 'Error';
  return typeof err;
}
