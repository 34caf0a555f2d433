// The attack list of issue 3 against real nodes and real registries: each attempt fails and
// leaves both registries as they were.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PairingCode,
  PairingProtocolHandler,
  encodeMessageFrame,
  type LocalDevice,
  type PairingAction,
  type PairingConversation
} from '@pairkit/pairing';
import { deviceIdFromPublicKey } from '@pairkit/registry';
import { announceSession, rendezvousCid, PAIR_PROTOCOL, NetError } from '../src/index.js';
import { makeDevice, peerOf, type TestDevice } from './helpers/device.js';
import { Attacker, RawPairingStream, random } from './helpers/attacker.js';
import { makeIdentity } from './helpers/identity.js';
import type { NodeIdentity } from '../src/node.js';

let alice: TestDevice; // the initiator under attack
let attacker: Attacker;
const cleanup: (() => Promise<void>)[] = [];

before(async () => {
  alice = await makeDevice('alice', { service: { readTimeoutMs: 1500 } });
  attacker = await Attacker.create();
  cleanup.push(() => alice.stop(), () => attacker.stop());
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function joiner(name: string, opts: Parameters<typeof makeDevice>[1] = {}): Promise<TestDevice> {
  const d = await makeDevice(name, { service: { readTimeoutMs: 1500 }, ...opts });
  cleanup.push(() => d.stop());
  return d;
}

function local(id: NodeIdentity, name = 'mallory'): LocalDevice {
  return { ...id, deviceId: deviceIdFromPublicKey(id.publicKey), info: { name, os: 'evil', appVersion: '6.6.6' } };
}

/** alice's registry holds nothing of the attacker and no more than `count` devices. */
function assertUntouched(d: TestDevice, count: number): void {
  assert.equal(d.registry.list().length, count);
  assert.equal(d.registry.findByPeerId(attacker.node.peerId.toString()), undefined);
}

/** Feeds messages from a raw stream into a local conversation until it ends; returns its actions. */
async function pump(conv: PairingConversation, raw: RawPairingStream, first: PairingAction[]): Promise<PairingAction[]> {
  const seen: PairingAction[] = [];
  let actions = first;
  for (;;) {
    for (const a of actions) {
      seen.push(a);
      if (a.type === 'send') raw.send(a.frame);
      if (a.type === 'commit') actions = conv.committed(Date.now());
    }
    if (conv.ended) return seen;
    const m = await raw.next(5_000).catch(() => null);
    actions = m == null ? conv.close(Date.now()) : conv.receive(encodeMessageFrame(m), Date.now());
  }
}

/** Starts a session on alice that the test can cancel; the code is what a shoulder-surfer would not have. */
function session(ttlMs = 60_000): { code: PairingCode; result: Promise<unknown>; cancel: () => void } {
  const ac = new AbortController();
  const { code, result } = alice.service.initiate({ ttlMs, signal: ac.signal, dht: false });
  result.catch(() => {});
  return { code: PairingCode.parse(code), result, cancel: () => ac.abort() };
}

let aliceCount = 0;

test('wrong code: the initiator answers UNKNOWN_SESSION and stores nothing', async () => {
  const s = session();
  const raw = await attacker.open(alice.addr);
  raw.send({ type: 'PairingRequest', sessionId: PairingCode.generate().sessionId, nonce: random(32), ephemeralKey: random(32) });
  assert.deepEqual(await raw.next(), { type: 'PairingError', code: 'UNKNOWN_SESSION' });
  assert.equal(await raw.next(), null, 'the initiator closes the stream');
  assertUntouched(alice, aliceCount);
  s.cancel();
  await assert.rejects(s.result, (e: unknown) => e instanceof NetError && e.code === 'ABORTED');
});

test('an attacker who knows the session id but not the code (joiner role) fails BAD_PROOF; the real joiner still pairs', async () => {
  const s = session();
  const raw = await attacker.open(alice.addr);
  raw.send({ type: 'PairingRequest', sessionId: s.code.sessionId, nonce: random(32), ephemeralKey: random(32) });
  const challenge = await raw.next();
  assert.equal(challenge?.type, 'PairingChallenge');
  raw.send({
    type: 'PairingResponse',
    publicKey: attacker.identity.publicKey,
    info: { name: 'mallory', os: 'evil', appVersion: '1' },
    mac: random(32),
    signature: random(64)
  });
  assert.deepEqual(await raw.next(), { type: 'PairingError', code: 'BAD_PROOF' });
  assertUntouched(alice, aliceCount);

  const bob = await joiner('bob');
  const paired = await bob.service.join(s.code.toString(), { peers: [peerOf(alice)], mdns: false, dht: false, timeoutMs: 30_000 });
  assert.equal(paired.peerId, alice.node.peerId.toString());
  await s.result;
  aliceCount++;
  assertUntouched(alice, aliceCount);
  assert.equal(bob.registry.list().length, 1);

  // the consumed code, proved correctly by someone else, is refused: CONSUMED
  const hj = new PairingProtocolHandler({ local: local(attacker.identity) });
  const raw2 = await attacker.open(alice.addr);
  const conv = hj.startJoiner({ code: s.code, remotePeerId: alice.node.peerId.toString(), remotePublicKey: alice.registry.identity().publicKey, now: Date.now() });
  const actions = await pump(conv, raw2, conv.start(Date.now()));
  assert.equal(conv.state, 'failed');
  assert.equal(conv.error?.code, 'CONSUMED');
  assert.ok(!actions.some((a) => a.type === 'commit'));
  assertUntouched(alice, aliceCount);
});

test('a replayed recording of a joiner fails (fresh nonces) and stores nothing', async () => {
  const s = session();
  // Record a complete, valid joiner side in memory: same code, the attacker's own identity.
  const fakeInitiatorId = makeIdentity();
  const hi = new PairingProtocolHandler({ local: local(fakeInitiatorId, 'alice-look-alike') });
  hi.createInitiatorSession({ now: Date.now(), code: s.code });
  const hj = new PairingProtocolHandler({ local: local(attacker.identity) });
  const cj = hj.startJoiner({ code: s.code, remotePeerId: fakeInitiatorId.peerId, remotePublicKey: fakeInitiatorId.publicKey, now: Date.now() });
  const ci = hi.acceptInbound({ remotePeerId: attacker.identity.peerId, remotePublicKey: attacker.identity.publicKey, now: Date.now() });
  const recorded: Uint8Array[] = [];
  let toI = cj.start(Date.now());
  while (!cj.ended || !ci.ended) {
    const toJ: PairingAction[] = [];
    for (const a of toI) {
      if (a.type === 'send') {
        recorded.push(a.frame);
        toJ.push(...ci.receive(a.frame, Date.now()));
      } else if (a.type === 'commit') toI.push(...cj.committed(Date.now()));
    }
    toI = [];
    for (const a of toJ) {
      if (a.type === 'send') toI.push(...cj.receive(a.frame, Date.now()));
      else if (a.type === 'commit') toJ.push(...ci.committed(Date.now()));
    }
    if (toI.length === 0 && toJ.length === 0) break;
  }
  assert.equal(cj.state, 'completed', 'the recording is of a successful pairing');
  assert.ok(recorded.length >= 2);

  const raw = await attacker.open(alice.addr);
  raw.send(recorded[0]); // PairingRequest
  assert.equal((await raw.next())?.type, 'PairingChallenge');
  raw.send(recorded[1]); // PairingResponse, valid for the recorded transcript only
  assert.deepEqual(await raw.next(), { type: 'PairingError', code: 'BAD_PROOF' });
  assertUntouched(alice, aliceCount);
  s.cancel();
});

test('a joiner whose claimed key differs from its Noise key is refused, even with the right code', async () => {
  const s = session();
  const claimed = makeIdentity(); // proves the code, but with a key the Noise channel did not authenticate
  const hj = new PairingProtocolHandler({ local: local(claimed) });
  const conv = hj.startJoiner({ code: s.code, remotePeerId: alice.node.peerId.toString(), remotePublicKey: alice.registry.identity().publicKey, now: Date.now() });
  const raw = await attacker.open(alice.addr);
  const actions = await pump(conv, raw, conv.start(Date.now()));
  assert.equal(conv.state, 'failed');
  assert.equal(conv.error?.code, 'KEY_MISMATCH');
  assert.ok(!actions.some((a) => a.type === 'commit'));
  assertUntouched(alice, aliceCount);
  assert.equal(alice.registry.list().some((d) => d.peerId === claimed.peerId), false);
  s.cancel();
});

test('an expired code is refused with EXPIRED and the initiator reports it', async () => {
  const ac = new AbortController();
  const { code, result } = alice.service.initiate({ ttlMs: 800, signal: ac.signal, dht: false });
  await assert.rejects(result, (e: unknown) => (e as { code?: string }).code === 'EXPIRED');
  const hj = new PairingProtocolHandler({ local: local(attacker.identity) });
  const conv = hj.startJoiner({ code, remotePeerId: alice.node.peerId.toString(), remotePublicKey: alice.registry.identity().publicKey, now: Date.now() });
  await pump(conv, await attacker.open(alice.addr), conv.start(Date.now()));
  assert.equal(conv.error?.code, 'EXPIRED');
  assertUntouched(alice, aliceCount);
});

test('oversized and malformed frames end the conversation; nothing stored', async () => {
  const s = session();
  const big = await attacker.open(alice.addr);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 1 << 20);
  big.send(header);
  big.send(random(1024));
  assert.deepEqual(await big.next(), { type: 'PairingError', code: 'FRAME_TOO_LARGE' });

  const bad = await attacker.open(alice.addr);
  bad.send(Uint8Array.from([0, 0, 0, 5, 1, 1, 2, 3, 4])); // version 1, a PairingRequest cut short
  assert.deepEqual(await bad.next(), { type: 'PairingError', code: 'MALFORMED_FRAME' });
  assertUntouched(alice, aliceCount);
  s.cancel();
});

test('a joiner that goes silent is timed out and its stream closed', async () => {
  const s = session();
  const failed = new Promise<string>((resolve) => alice.service.once('failed', (e) => resolve(e.code)));
  const raw = await attacker.open(alice.addr);
  const msgs = await raw.drain(10_000);
  assert.deepEqual(msgs, [{ type: 'PairingError', code: 'TIMEOUT' }]);
  assert.equal(await failed, 'TIMEOUT');
  assertUntouched(alice, aliceCount);
  s.cancel();
});

test('an impostor initiator announcing the same session id cannot pair; the real initiator does', async () => {
  const ac = new AbortController();
  const { code, result } = alice.service.initiate({ ttlMs: 60_000, signal: ac.signal });
  const sessionId = PairingCode.parse(code).sessionId;
  // The impostor knows the session id (it is public) and answers like an initiator would.
  let requests = 0;
  await attacker.node.handle(PAIR_PROTOCOL, async (stream) => {
    const raw = new RawPairingStream(stream);
    const req = await raw.next().catch(() => null);
    if (req?.type !== 'PairingRequest') return;
    requests++;
    raw.send({
      type: 'PairingChallenge',
      nonce: random(32),
      ephemeralKey: random(32),
      publicKey: attacker.identity.publicKey,
      info: { name: 'alice', os: 'evil', appVersion: '1' }
    });
    const resp = await raw.next().catch(() => null);
    if (resp?.type === 'PairingResponse') raw.send({ type: 'PairingComplete', mac: random(32), signature: random(64) });
    await raw.drain(5_000);
  });
  const stopAnnounce = new AbortController();
  const announcing = announceSession(attacker.node, await rendezvousCid(sessionId), { signal: stopAnnounce.signal });
  try {
    // bob2 is pointed at the impostor first and finds alice through the DHT.
    const bob2 = await joiner('bob2', { bootstrap: [alice.addr, attacker.addr] });
    const paired = await bob2.service.join(code, { peers: [peerOf(attacker)], mdns: false, timeoutMs: 60_000 });
    assert.equal(paired.peerId, alice.node.peerId.toString());
    assert.ok(requests >= 1, 'the impostor was tried');
    await result;
    aliceCount++;
    assert.deepEqual(bob2.registry.list().map((d) => d.peerId), [alice.node.peerId.toString()]);

    // Alone, the impostor gets nothing: the joiner gives up and stores nothing.
    const bob3 = await joiner('bob3');
    await assert.rejects(
      bob3.service.join(code, { peers: [peerOf(attacker)], mdns: false, dht: false, timeoutMs: 4_000 }),
      (e: unknown) => e instanceof NetError && e.code === 'TIMEOUT'
    );
    assert.equal(bob3.registry.list().length, 0);
  } finally {
    stopAnnounce.abort();
    await announcing;
    await attacker.node.unhandle(PAIR_PROTOCOL);
    ac.abort();
  }
});

test('a silent initiator is timed out by the joiner, who stores nothing', async () => {
  await attacker.node.handle(PAIR_PROTOCOL, async (stream) => {
    await new RawPairingStream(stream).drain(8_000);
  });
  try {
    const bob4 = await joiner('bob4');
    const failures: string[] = [];
    bob4.service.on('failed', (e) => failures.push(e.code));
    await assert.rejects(
      bob4.service.join(PairingCode.generate().toString(), { peers: [peerOf(attacker)], mdns: false, dht: false, timeoutMs: 6_000 }),
      (e: unknown) => e instanceof NetError
    );
    assert.deepEqual(failures, ['TIMEOUT']);
    assert.equal(bob4.registry.list().length, 0);
  } finally {
    await attacker.node.unhandle(PAIR_PROTOCOL);
  }
});
