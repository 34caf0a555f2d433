import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { base32, deviceIdFromPublicKey, fingerprint, normalizeBleAddress, randomStaticAddress } from '../src/index.js';
import { tempHome } from './helpers/fixtures.js';
import { randomBytes } from 'node:crypto';
import { peerIdFromEd25519PublicKey } from '../src/index.js';
import { base58btc } from '../src/ids.js';

test('device id vectors from the README', () => {
  assert.equal(deviceIdFromPublicKey(new Uint8Array(32)), 'ksb35i3qpprqatf23znvgj7eeyl3qro3');
  assert.equal(deviceIdFromPublicKey(Uint8Array.from({ length: 32 }, (_, i) => i)), 'fh3dbrwqvi2j25ojiv7wpw5icnzbytyn');
  assert.throws(() => deviceIdFromPublicKey(new Uint8Array(33)), { code: 'INVALID_INPUT' });
});

test('base32 matches RFC 4648 test vectors (lowercase, unpadded)', () => {
  const enc = (s: string) => base32(new TextEncoder().encode(s));
  assert.equal(enc(''), '');
  assert.equal(enc('f'), 'my');
  assert.equal(enc('fo'), 'mzxq');
  assert.equal(enc('foo'), 'mzxw6');
  assert.equal(enc('foob'), 'mzxw6yq');
  assert.equal(enc('fooba'), 'mzxw6ytb');
  assert.equal(enc('foobar'), 'mzxw6ytboi');
});

test('static random addresses have the top two bits set and are not all ones/zeros', () => {
  for (let i = 0; i < 200; i++) {
    const a = randomStaticAddress();
    assert.equal(normalizeBleAddress(a), a);
    assert.equal(parseInt(a.slice(0, 2), 16) & 0xc0, 0xc0);
    assert.notEqual(a, 'FF:FF:FF:FF:FF:FF');
    assert.notEqual(a, 'C0:00:00:00:00:00');
  }
  assert.throws(() => normalizeBleAddress('C0:00:00:00:00'), { code: 'INVALID_INPUT' });
});

test('fingerprints differ for different keys and do not contain the key', () => {
  const k = new Uint8Array(32).fill(7);
  assert.match(fingerprint(k), /^([0-9a-f]{2}:){7}[0-9a-f]{2}$/);
  assert.notEqual(fingerprint(k), fingerprint(new Uint8Array(32).fill(8)));
  assert.ok(!fingerprint(k).replaceAll(':', '').includes('0707'));
});

test('the README example runs as written', (t) => {
  const readme = fs.readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const code = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code, 'README has a js example');
  const home = tempHome(t);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { PATH: process.env.PATH, PAIRKIT_HOME: home },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^I am .+ [a-z2-7]{32} 12D3KooW/m);
  assert.match(r.stdout, /change: added/);
  assert.match(r.stdout, /paired example peer/);
  assert.match(r.stdout, /devices left: 0/);
});

test('peer ids computed without libp2p equal libp2p peer ids (random keys, all-zero and all-ones keys)', async () => {
  const { publicKeyFromRaw } = await import('@libp2p/crypto/keys');
  const { peerIdFromPublicKey } = await import('@libp2p/peer-id');
  const keys = [new Uint8Array(32), new Uint8Array(32).fill(0xff)];
  for (let i = 0; i < 100; i++) keys.push(new Uint8Array(randomBytes(32)));
  for (const k of keys) assert.equal(peerIdFromEd25519PublicKey(k), peerIdFromPublicKey(publicKeyFromRaw(k)).toString());
});

test('base58btc: leading zero bytes are 1s; known values', () => {
  assert.equal(base58btc(new Uint8Array(0)), '');
  assert.equal(base58btc(Uint8Array.of(0, 0, 1)), '112');
  assert.equal(base58btc(Buffer.from('hello world')), 'StV1DL6CwTryKyV');
  assert.equal(base58btc(Uint8Array.of(0xff)), '5Q');
});
