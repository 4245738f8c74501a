/**
 * @module
 * Keeps raw IP addresses out of queue messages. X needs the client's IP
 * address and user agent in clear text, but a queue stores messages for up to
 * days (and the dead letter queue longer), so the `{ip_address, user_agent}`
 * identifier travels sealed with AES-256-GCM and is opened only by the
 * consumer, right before the request to X.
 *
 * The key is derived (HKDF-SHA-256) from `QUEUE_SEAL_KEY` if set, else from
 * the X credentials' secrets, which every sending deployment has. Without any
 * secret the edge is in dry run and sends nothing, so the address is dropped.
 * A message sealed under a key that has since been rotated opens to nothing:
 * the conversion goes without the address (and, if it had no other
 * identifier, X's 400 puts it on the dead letter queue with the reason).
 */
import type { EdgeConfig } from '../config.ts';
import { log } from '../log.ts';
import type { XConversion, XIdentifier } from '../x-api/conversion.ts';

type AddressIdentifier = Extract<XIdentifier, { ip_address: string }>;

const keyCache = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

function keyMaterial(config: EdgeConfig): string | undefined {
  if (config.sealKey) return config.sealKey;
  const { credentials } = config;
  switch (credentials.kind) {
    case 'oauth1':
      return `${credentials.consumerSecret}\u0000${credentials.accessTokenSecret}`;
    case 'pixel-token':
      return credentials.token;
    case 'none':
      return undefined;
  }
}

function sealKey(material: string): Promise<CryptoKey> {
  let key = keyCache.get(material);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', encoder.encode(material), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          {
            name: 'HKDF',
            hash: 'SHA-256',
            salt: encoder.encode('x-capi-edge queue seal v1'),
            info: encoder.encode('ip_address+user_agent'),
          },
          base,
          { name: 'AES-GCM', length: 256 },
          false,
          ['encrypt', 'decrypt'],
        ),
      );
    keyCache.set(material, key);
  }
  return key;
}

function isAddress(identifier: XIdentifier): identifier is AddressIdentifier {
  return 'ip_address' in identifier;
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A conversion as queued: the address identifier, if any, sealed aside. */
export interface SealedConversion {
  conversion: XConversion;
  /** base64 of a 12-byte IV followed by the AES-GCM ciphertext of the address identifier. */
  sealedAddress?: string;
}

/**
 * Takes the `{ip_address, user_agent}` identifier out of `conversion` and
 * seals it; the conversion id is bound in as associated data, so a sealed
 * address cannot be moved onto another conversion.
 */
export async function sealAddress(
  config: EdgeConfig,
  conversion: XConversion,
): Promise<SealedConversion> {
  const address = conversion.identifiers.find(isAddress);
  if (!address) return { conversion };
  const rest = { ...conversion, identifiers: conversion.identifiers.filter((i) => !isAddress(i)) };
  const material = keyMaterial(config);
  if (!material) return { conversion: rest };
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(conversion.conversion_id) },
    await sealKey(material),
    encoder.encode(JSON.stringify(address)),
  );
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), 12);
  return { conversion: rest, sealedAddress: toBase64(out) };
}

/**
 * Puts the sealed address back into the conversion, or returns it without
 * the address when it cannot be opened (rotated key, tampering).
 */
export async function openAddress(
  config: EdgeConfig,
  conversion: XConversion,
  sealedAddress: string | undefined,
): Promise<XConversion> {
  if (!sealedAddress) return conversion;
  const material = keyMaterial(config);
  if (!material) return conversion;
  try {
    const bytes = fromBase64(sealedAddress);
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: bytes.slice(0, 12),
        additionalData: encoder.encode(conversion.conversion_id),
      },
      await sealKey(material),
      bytes.slice(12),
    );
    const address = JSON.parse(new TextDecoder().decode(plain)) as AddressIdentifier;
    return { ...conversion, identifiers: [...conversion.identifiers, address] };
  } catch {
    log.warn('sealed address could not be opened (key rotated?): sending without it', {
      conversion_id: conversion.conversion_id,
    });
    return conversion;
  }
}
