// LE SC OOB end to end: `pair ble oob` prints its OOB data and waits; `pair join --ble --oob DATA`
// pairs with no comparison. Forged or stale data fails with CONFIRM_VALUE_FAILED, stores nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeOobText, parseOobText, encodeOobAd } from '../src/index.js';
import { home, list, pair, run, sim } from './helpers/cli.js';

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];

test('pair ble oob + pair join --ble --oob: paired with the OOB model, no comparison; the AD form works too', async (t) => {
  const hci = await sim(t);
  const ha = home(t, 'a');
  const hb = home(t, 'b');
  const a = pair(t, ha, ['ble', 'oob', '--hci', hci, ...LISTEN]);
  const oob = await a.waitFor('oob');
  assert.match(String(oob.text), /^pairkit-oob:[a-z2-7]+$/);
  // The AD structures carry the same data as the text.
  const parsed = parseOobText(String(oob.text), { now: Date.now() });
  assert.equal(oob.ad, Buffer.from(encodeOobAd({ ...parsed, role: 'peripheral' })).toString('hex'));
  await a.waitFor('advertising');
  const b = pair(t, hb, ['join', '--ble', '--hci', hci, '--oob', String(oob.ad), ...LISTEN]);
  const [ca, cb] = await Promise.all([a.exited, b.exited]);
  assert.equal(ca, 0, a.stderr);
  assert.equal(cb, 0, b.stderr);
  assert.ok(!a.events().includes('compare') && !b.events().includes('compare'), 'no comparison step');
  assert.equal((await b.waitFor('ble-paired')).model, 'OOB');
  const [la, lb] = await Promise.all([list(t, ha), list(t, hb)]);
  assert.equal(la.length, 1);
  assert.equal(lb.length, 1);
  assert.equal(la[0].method, 'both');
  assert.equal(lb[0].bleAddress, parsed.address.address);
});

test('forged OOB data (valid checksum, wrong C) and stale OOB data (from an earlier run) fail with CONFIRM_VALUE_FAILED; stale text fails with EXPIRED', async (t) => {
  const hci = await sim(t);
  const ha = home(t, 'a');
  const hb = home(t, 'b');

  // An earlier run's data: same device, same address, but a key pair that is gone.
  const first = pair(t, ha, ['ble', 'oob', '--hci', hci, ...LISTEN]);
  const stale = String((await first.waitFor('oob')).text);
  await first.waitFor('advertising');
  first.kill('SIGTERM');
  await first.exited;

  // With --max-attempts 1 the advertiser gives up after the one bad joiner (else it would wait for the next).
  const attempt = async (data: string): Promise<void> => {
    const a = pair(t, ha, ['ble', 'oob', '--hci', hci, '--max-attempts', '1', ...LISTEN]);
    await a.waitFor('advertising');
    const b = pair(t, hb, ['join', '--ble', '--hci', hci, '--oob', data, ...LISTEN]);
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    assert.equal(cb, 4, b.stderr);
    assert.equal(ca, 4, a.stderr);
    assert.equal((await b.waitFor('failed')).code, 'CONFIRM_VALUE_FAILED');
    assert.equal((await a.waitFor('attempt-failed')).code, 'CONFIRM_VALUE_FAILED');
    assert.equal((await a.waitFor('failed')).code, 'TOO_MANY_ATTEMPTS');
    assert.ok(!b.events().includes('ble-paired'));
    assert.deepEqual(await list(t, ha), []);
    assert.deepEqual(await list(t, hb), []);
  };
  await attempt(stale);

  const current = parseOobText(stale, { now: Date.now() });
  const forged = encodeOobText({ ...current, c: Uint8Array.from(current.c, (x, i) => (i === 15 ? x ^ 0x80 : x)) });
  await attempt(forged);

  // Past its expiry the text is refused before any radio activity.
  const expired = encodeOobText({ ...current, expiresAt: Date.now() - 1000 });
  const r = await run(t, hb, ['join', '--ble', '--hci', hci, '--oob', expired]);
  assert.equal(r.code, 2);
  assert.equal(r.lines.find((l) => l.event === 'failed')?.code, 'EXPIRED');
  assert.deepEqual(await list(t, hb), []);
});
