import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkFreepikWebhook, verifyFreepikWebhook } from '../src/webhooks.js';

const body = '{"task_id":"t1","status":"COMPLETED","generated":["https://cdn/x.png"]}';
const sign = (key: Buffer | string, id = 'msg_1', ts = '1718000000', payload = body) =>
  `v1,${createHmac('sha256', key).update(`${id}.${ts}.${payload}`).digest('base64')}`;
const call = { id: 'msg_1', timestamp: '1718000000', body, secret: 'whsec_test' };

describe('verifyFreepikWebhook', () => {
  it('accepts a signature made with the secret as UTF-8 bytes (the emulator, docs/providers.md)', () => {
    expect(verifyFreepikWebhook({ ...call, signature: sign('whsec_test') })).toBe(true);
    expect(verifyFreepikWebhook({ ...call, body: Buffer.from(body), signature: sign('whsec_test') })).toBe(
      true,
    );
  });

  it('accepts a Standard Webhooks secret whsec_<base64> signed with its decoded bytes', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const secret = `whsec_${key.toString('base64')}`;
    expect(verifyFreepikWebhook({ ...call, secret, signature: sign(key) })).toBe(true);
  });

  it('accepts any one matching entry among several (key rotation)', () => {
    const signature = `v1,AAAA ${sign('old-secret')} ${sign('whsec_test')}`;
    expect(verifyFreepikWebhook({ ...call, signature })).toBe(true);
  });

  it.each([
    ['a wrong secret', { signature: sign('other') }, 'no signature entry matches the secret'],
    [
      'a changed body',
      { signature: sign('whsec_test'), body: body.replace('COMPLETED', 'FAILED') },
      'no signature entry matches the secret',
    ],
    ['a changed id', { signature: sign('whsec_test'), id: 'msg_2' }, 'no signature entry matches the secret'],
    [
      'a changed timestamp',
      { signature: sign('whsec_test'), timestamp: 1718000001 },
      'no signature entry matches the secret',
    ],
    ['no v1 entry', { signature: 'v2,abc' }, 'the signature has no v1 entry'],
    [
      'a timestamp that is not a number',
      { signature: sign('whsec_test'), timestamp: 'soon' },
      'the timestamp is not Unix seconds',
    ],
    [
      'a truncated signature',
      { signature: sign('whsec_test').slice(0, 20) },
      'no signature entry matches the secret',
    ],
    [
      'an old timestamp with maxAgeSeconds',
      { signature: sign('whsec_test'), maxAgeSeconds: 300, now: 1718000000 + 301 },
      'the timestamp is more than 300 s away from now',
    ],
  ])('refuses %s', (_, change, reason) => {
    expect(checkFreepikWebhook({ ...call, ...change })).toEqual({ valid: false, reason });
  });

  it('accepts a recent timestamp with maxAgeSeconds', () => {
    expect(
      verifyFreepikWebhook({
        ...call,
        signature: sign('whsec_test'),
        maxAgeSeconds: 300,
        now: 1718000000 + 299,
      }),
    ).toBe(true);
  });
});
