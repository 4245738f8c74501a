/**
 * The fake's OAuth 1.0a verifier against published values, so it is not only
 * checked against itself: RFC 5849 section 1.2 and X's "Creating a signature".
 */
import { describe, expect, it } from 'vitest';
import {
  hmacSha1Signature,
  parseOAuthHeader,
  percentEncode,
  signatureBaseString,
} from './oauth1-verify.ts';

describe('percentEncode (RFC 5849 section 3.6)', () => {
  it('encodes everything but the unreserved set, in uppercase hex', () => {
    expect(percentEncode('Ladies + Gentlemen, a signed OAuth request!')).toBe(
      'Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21',
    );
    expect(percentEncode("a-._~*'()")).toBe('a-._~%2A%27%28%29');
    expect(percentEncode('☃')).toBe('%E2%98%83');
  });
});

describe('RFC 5849 section 1.2 example', () => {
  const header =
    'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", ' +
    'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", ' +
    'oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"';

  it('parses the header, dropping realm and decoding values', () => {
    const params = parseOAuthHeader(header);
    expect(params?.get('oauth_signature')).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
    expect(params?.has('realm')).toBe(false);
  });

  it('recomputes the published signature', () => {
    const params = parseOAuthHeader(header) ?? new Map();
    const base = signatureBaseString({
      method: 'GET',
      url: new URL('http://photos.example.net/photos?file=vacation.jpg&size=original'),
      oauthParams: params,
    });
    expect(base).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal',
    );
    expect(hmacSha1Signature(base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00')).toBe(
      'MdpQcU8iPSUjWoN/UDMsK2sui9I=',
    );
  });
});

describe('X "Creating a signature" example', () => {
  it('recomputes base string and signature hCtSmYh+iHYCEqBWrE7C7hYmtUk=', () => {
    const base = signatureBaseString({
      method: 'post',
      url: new URL('https://api.twitter.com/1.1/statuses/update.json?include_entities=true'),
      oauthParams: new Map([
        ['oauth_consumer_key', 'xvz1evFS4wEEPTGEFPHBog'],
        ['oauth_nonce', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg'],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '1318622958'],
        ['oauth_token', '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb'],
        ['oauth_version', '1.0'],
      ]),
      formParams: [['status', 'Hello Ladies + Gentlemen, a signed OAuth request!']],
    });
    expect(base).toBe(
      'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521',
    );
    expect(
      hmacSha1Signature(
        base,
        'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
        'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
      ),
    ).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });

  it('rejects headers that are not OAuth or repeat a parameter', () => {
    expect(parseOAuthHeader('Bearer abc')).toBeUndefined();
    expect(parseOAuthHeader('OAuth oauth_nonce="a", oauth_nonce="b"')).toBeUndefined();
    expect(parseOAuthHeader(null)).toBeUndefined();
  });
});
