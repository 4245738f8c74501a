/**
 * @module
 * Keeps raw IP addresses out of queue messages. X needs the client's IP
 * address and user agent in clear text, but a queue stores messages for up to
 * days (and the dead letter queue longer), so the `{ip_address, user_agent}`
 * identifier travels sealed with AES-256-GCM and is opened only by the
 * consumer, right before the request to X.
 *
 * The key is derived (HKDF-SHA-256) from `QUEUE_SEAL_KEY`, which config
 * requires whenever X credentials are set; without credentials the edge is in
 * dry run, sends nothing, and drops the address instead of sealing it.
 *
 * A sealed address reads `v2.<key id>.<base64 of IV + ciphertext>`. The key
 * id (a hash of the key, never the key) says which key sealed it, so after a
 * rotation `QUEUE_SEAL_KEY_PREVIOUS` still opens messages queued before it.
 * Pixel, event and conversion id are the associated data: a sealed address
 * cannot be moved onto another conversion. Addresses sealed before key ids
 * existed (no `v2.` prefix: the key came from `QUEUE_SEAL_KEY` or the X
 * secrets, the conversion id was the associated data) are still opened.
 * An address no configured key opens is dropped, and the conversion goes
 * without it (if it had no other identifier, X's 400 puts it on the dead
 * letter queue with the reason); never silently: the log says so, the
 * conversion's status carries `SEAL_KEY_GONE`, and so does a dead letter
 * whose address no configured key opens, before anyone redrives it.
 */
import { toBase64, toHex } from '../byte-text.ts';
import type { EdgeConfig } from '../config.ts';
import { log } from '../log.ts';
import type { XConversion, XIdentifier } from '../x-api/conversion.ts';
import type { DeliveryMessage } from './message.ts';

type AddressIdentifier = Extract<XIdentifier, { ip_address: string }>;

/** What a conversion whose sealed address no configured key opens carries in `/status` and `/dead-letters`. */
export const SEAL_KEY_GONE = {
  code: 'SEAL_KEY_GONE',
  parameter: 'ip_address',
  message:
    'sealed with a key that is neither QUEUE_SEAL_KEY nor QUEUE_SEAL_KEY_PREVIOUS: sent without IP address and user agent',
} as const;

/** The configuration sealing and opening need. */
export type SealKeys = Pick<EdgeConfig, 'sealKey' | 'sealKeyPrevious' | 'credentials'>;

const FORMAT = 'v2';
const SALT = 'x-capi-edge queue seal v2';
const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();
const idCache = new Map<string, Promise<string>>();

function deriveKey(material: string, salt: string): Promise<CryptoKey> {
  const cacheKey = `${salt}\u0000${material}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', encoder.encode(material), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          {
            name: 'HKDF',
            hash: 'SHA-256',
            salt: encoder.encode(salt),
            info: encoder.encode('ip_address+user_agent'),
          },
          base,
          { name: 'AES-GCM', length: 256 },
          false,
          ['encrypt', 'decrypt'],
        ),
      );
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** First 8 bytes of SHA-256 over a label and the key, hex: names the key without revealing it. */
export function sealKeyId(material: string): Promise<string> {
  let id = idCache.get(material);
  if (!id) {
    id = crypto.subtle
      .digest('SHA-256', encoder.encode(`x-capi-edge seal key id\u0000${material}`))
      .then((hash) => toHex(new Uint8Array(hash, 0, 8)));
    idCache.set(material, id);
  }
  return id;
}

/** Pixel, event and conversion id: what a sealed address belongs to. */
function associatedData(pixelId: string, conversion: XConversion): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify([pixelId, conversion.event_id, conversion.conversion_id]));
}

function isAddress(identifier: XIdentifier): identifier is AddressIdentifier {
  return 'ip_address' in identifier;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A conversion as queued: the address identifier, if any, sealed aside. */
export interface SealedConversion {
  conversion: XConversion;
  /** `v2.<key id>.<base64 of a 12-byte IV and the AES-GCM ciphertext>`. */
  sealedAddress?: string;
}

/**
 * Takes the `{ip_address, user_agent}` identifier out of `conversion` and
 * seals it under `QUEUE_SEAL_KEY`, bound to the pixel, event and conversion id.
 * Without a seal key (dry run) the address is dropped.
 */
export async function sealAddress(
  keys: SealKeys,
  pixelId: string,
  conversion: XConversion,
): Promise<SealedConversion> {
  const address = conversion.identifiers.find(isAddress);
  if (!address) return { conversion };
  const rest = { ...conversion, identifiers: conversion.identifiers.filter((i) => !isAddress(i)) };
  if (!keys.sealKey) return { conversion: rest };
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: associatedData(pixelId, rest) },
    await deriveKey(keys.sealKey, SALT),
    encoder.encode(JSON.stringify(address)),
  );
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), 12);
  return {
    conversion: rest,
    sealedAddress: `${FORMAT}.${await sealKeyId(keys.sealKey)}.${toBase64(out)}`,
  };
}

async function decrypt(
  key: CryptoKey,
  bytes: Uint8Array<ArrayBuffer>,
  additionalData: Uint8Array<ArrayBuffer>,
): Promise<AddressIdentifier> {
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.slice(0, 12), additionalData },
    key,
    bytes.slice(12),
  );
  return JSON.parse(new TextDecoder().decode(plain)) as AddressIdentifier;
}

/** The address, or undefined when no configured key opens it. */
async function open(
  keys: SealKeys,
  pixelId: string,
  conversion: XConversion,
  sealedAddress: string,
): Promise<AddressIdentifier | undefined> {
  const parts = sealedAddress.split('.');
  if (parts.length !== 3 || parts[0] !== FORMAT) return undefined;
  const [, id, payload] = parts as [string, string, string];
  for (const material of [keys.sealKey, keys.sealKeyPrevious]) {
    if (material === undefined || (await sealKeyId(material)) !== id) continue;
    return decrypt(
      await deriveKey(material, SALT),
      fromBase64(payload),
      associatedData(pixelId, conversion),
    );
  }
  return undefined;
}

/** The address, or undefined when no configured key opens it (a key rotated out, tampering). */
async function openOrDrop(
  keys: SealKeys,
  pixelId: string,
  conversion: XConversion,
  sealedAddress: string,
): Promise<AddressIdentifier | undefined> {
  try {
    return await open(keys, pixelId, conversion, sealedAddress);
  } catch {
    return undefined;
  }
}

function logDropped(pixelId: string, conversion: XConversion): void {
  log.warn(
    'sealed address could not be opened (key rotated out, or not this conversion): sending without it',
    { pixel_id: pixelId, conversion_id: conversion.conversion_id, warning: SEAL_KEY_GONE.code },
  );
}

/**
 * Puts the sealed address back into the conversion, or returns it without
 * the address when no configured key opens it (a key rotated out, tampering).
 */
export async function openAddress(
  keys: SealKeys,
  pixelId: string,
  conversion: XConversion,
  sealedAddress: string | undefined,
): Promise<XConversion> {
  if (!sealedAddress) return conversion;
  const address = await openOrDrop(keys, pixelId, conversion, sealedAddress);
  if (!address) {
    logDropped(pixelId, conversion);
    return conversion;
  }
  return { ...conversion, identifiers: [...conversion.identifiers, address] };
}

type SealedMessage = Pick<
  DeliveryMessage,
  'pixelId' | 'conversion' | 'sealedAddress' | 'sealedEventId'
>;

/** The conversion as the address was sealed: under the tag it had then. */
function asSealed(message: SealedMessage): XConversion {
  const { conversion, sealedEventId } = message;
  return sealedEventId === undefined ? conversion : { ...conversion, event_id: sealedEventId };
}

/**
 * A queue message's conversion with its address opened, under its current
 * tag, and whether a sealed address had to be dropped (logged).
 *
 * @example
 * const { conversion, addressDropped } = await openMessageAddress(config, msg.body);
 */
export async function openMessageAddress(
  keys: SealKeys,
  message: SealedMessage,
): Promise<{ conversion: XConversion; addressDropped: boolean }> {
  const { conversion, sealedAddress, pixelId } = message;
  if (!sealedAddress) return { conversion, addressDropped: false };
  const address = await openOrDrop(keys, pixelId, asSealed(message), sealedAddress);
  if (!address) {
    logDropped(pixelId, conversion);
    return { conversion, addressDropped: true };
  }
  return {
    conversion: { ...conversion, identifiers: [...conversion.identifiers, address] },
    addressDropped: false,
  };
}

/** Whether a kept message still carries an address no configured key opens (nothing logged). */
export async function addressKeyGone(keys: SealKeys, message: SealedMessage): Promise<boolean> {
  if (!message.sealedAddress) return false;
  return (
    (await openOrDrop(keys, message.pixelId, asSealed(message), message.sealedAddress)) ===
    undefined
  );
}
