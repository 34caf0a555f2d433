import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PairingCode,
  decodeMessageFrame,
  pairingRecordFrom,
  type PairingAction,
  type PairingChallenge,
  type PairingConversation,
  type PairingProtocolHandler,
  type PairingRequest,
} from '../src/index.js';
import { Impostor, frame, messagesOf } from './helpers/attacker.js';
import { Link, deriveDeviceId, makeDevice, makeHandler, wire } from './helpers/peers.js';

const alice = makeDevice('alice', 1);
const bob = makeDevice('bob', 2);
const carol = makeDevice('carol', 3);
const mallory = makeDevice('mallory', 4);
type Dev = typeof alice;

function setup(ttlMs?: number) {
  const ha = makeHandler(alice);
  const hb = makeHandler(bob);
  const session = ha.createInitiatorSession({ now: 0, ttlMs });
  return { ha, hb, session };
}
const inbound = (h: PairingProtocolHandler, from: Dev, now = 0): PairingConversation =>
  h.acceptInbound({ remotePeerId: from.peerId, remotePublicKey: from.publicKey, now });
const join = (h: PairingProtocolHandler, code: PairingCode | string, to: Dev, now = 0): PairingConversation =>
  h.startJoiner({ code, remotePeerId: to.peerId, remotePublicKey: to.publicKey, now });

const types = (actions: PairingAction[]): string[] => actions.map((a) => a.type);
const sentMessages = (actions: PairingAction[]) => actions.flatMap((a) => (a.type === 'send' ? [decodeMessageFrame(a.frame)] : []));
const failure = (actions: PairingAction[]) => actions.find((a) => a.type === 'failed')?.error;

test('success: both sides commit, keys match per direction, same verification string', () => {
  const { ha, hb, session } = setup();
  const link = wire(join(hb, session.code.toString(), alice), inbound(ha, bob));
  const j = link.joiner.completed!;
  const i = link.initiator.completed!;
  assert.ok(j && i, `joiner ${link.joiner.failed?.code} initiator ${link.initiator.failed?.code}`);
  assert.deepEqual(i.sessionKeys.tx, j.sessionKeys.rx);
  assert.deepEqual(i.sessionKeys.rx, j.sessionKeys.tx);
  assert.notDeepEqual(i.sessionKeys.tx, i.sessionKeys.rx);
  assert.equal(i.sessionKeys.tx.length, 32);
  assert.match(i.verification, /^\d{6}$/);
  assert.equal(i.verification, j.verification);
  assert.deepEqual(i.transcriptHash, j.transcriptHash);
  assert.equal(i.role, 'initiator');
  assert.equal(j.role, 'joiner');
  // Each side learned the other's identity from the authenticated key.
  assert.deepEqual(i.peer, { deviceId: bob.deviceId, peerId: bob.peerId, publicKey: bob.publicKey, info: bob.info });
  assert.deepEqual(j.peer, { deviceId: alice.deviceId, peerId: alice.peerId, publicKey: alice.publicKey, info: alice.info });
  assert.equal(i.peer.deviceId, deriveDeviceId(bob.publicKey));
  assert.deepEqual([...link.initiator.registry.keys()], [bob.deviceId]);
  assert.deepEqual([...link.joiner.registry.keys()], [alice.deviceId]);
  // Message order: the joiner proves first, the initiator commits last.
  assert.deepEqual(messagesOf(link.joiner.sent).map((m) => m.type), ['PairingRequest', 'PairingResponse', 'PairingAck']);
  assert.deepEqual(messagesOf(link.initiator.sent).map((m) => m.type), ['PairingChallenge', 'PairingComplete']);
  assert.equal(session.state, 'completed');
  assert.equal(session.result?.peer.deviceId, bob.deviceId);
  assert.equal(link.joiner.conv.state, 'completed');
  assert.equal(link.initiator.conv.state, 'completed');
  assert.ok(link.joiner.closed && link.initiator.closed);
  assert.equal(ha.conversations.length, 0);
  assert.equal(hb.conversations.length, 0);
});

test('success with frames delivered one byte at a time', () => {
  const { ha, hb, session } = setup();
  const link = wire(join(hb, session.code, alice), inbound(ha, bob), { chunk: 1 });
  assert.ok(link.joiner.completed && link.initiator.completed);
});

test('one handler runs both roles at once, and sessions get distinct keys', () => {
  const ha = makeHandler(alice);
  const hb = makeHandler(bob);
  const hc = makeHandler(carol);
  const s1 = ha.createInitiatorSession({ now: 0 });
  const s2 = hc.createInitiatorSession({ now: 0 });
  const l1 = new Link(join(hb, s1.code, alice), inbound(ha, bob));
  const l2 = new Link(join(ha, s2.code, carol), inbound(hc, alice));
  while (l1.step(1) + l2.step(1) > 0);
  l1.run();
  l2.run();
  assert.equal(l1.initiator.completed?.peer.deviceId, bob.deviceId);
  assert.equal(l2.joiner.completed?.peer.deviceId, carol.deviceId);
  assert.notDeepEqual(l1.initiator.completed?.sessionKeys.tx, l2.joiner.completed?.sessionKeys.tx);
});

test('wrong code: unknown session on both ends, nothing committed, the right code still works', () => {
  const { ha, hb, session } = setup();
  const link = wire(join(hb, PairingCode.generate(), alice), inbound(ha, bob));
  assert.equal(link.joiner.failed?.code, 'UNKNOWN_SESSION');
  assert.equal(link.joiner.failed?.remote, true);
  assert.equal(link.initiator.failed?.code, 'UNKNOWN_SESSION');
  assert.equal(link.joiner.registry.size + link.initiator.registry.size, 0);
  assert.equal(session.state, 'waiting');
  assert.ok(wire(join(hb, session.code, alice), inbound(ha, bob)).initiator.completed);
});

test('impostor joiner who knows the sessionId: BAD_PROOF, no initiator proof revealed, code not burned', () => {
  const { ha, hb, session } = setup();
  const m = new Impostor(mallory, session.sessionId);
  const conv = inbound(ha, mallory);
  conv.start(0);
  const challengeActions = conv.receive(m.request(), 0);
  const [challenge] = sentMessages(challengeActions) as PairingChallenge[];
  assert.equal(challenge.type, 'PairingChallenge');
  const actions = conv.receive(m.response(challenge, alice), 0);
  assert.deepEqual(types(actions), ['send', 'failed', 'close']);
  assert.deepEqual(sentMessages(actions), [{ type: 'PairingError', code: 'BAD_PROOF' }]);
  assert.equal(failure(actions)?.code, 'BAD_PROOF');
  assert.equal(conv.state, 'failed');
  assert.equal(session.state, 'challenged');
  // The real joiner still pairs with the same code.
  const link = wire(join(hb, session.code, alice), inbound(ha, bob));
  assert.ok(link.initiator.completed && link.joiner.completed);
});

test('impostor initiator announcing the sessionId: the joiner fails with BAD_PROOF and commits nothing', () => {
  const { hb, session } = setup();
  const m = new Impostor(mallory, session.sessionId);
  const conv = join(hb, session.code, mallory);
  const [request] = sentMessages(conv.start(0)) as PairingRequest[];
  const afterChallenge = conv.receive(m.challenge(), 0);
  assert.deepEqual(sentMessages(afterChallenge).map((x) => x.type), ['PairingResponse']);
  const actions = conv.receive(m.complete(request, bob), 0);
  assert.equal(failure(actions)?.code, 'BAD_PROOF');
  assert.ok(!types(actions).includes('commit'));
  assert.deepEqual(sentMessages(actions), [{ type: 'PairingError', code: 'BAD_PROOF' }]);
});

test('a relaying man in the middle gets KEY_MISMATCH or BAD_PROOF, never a pairing', () => {
  // Mallory talks to alice as a joiner and to bob as an initiator, forwarding frames.
  for (const rewriteKeys of [false, true]) {
    const { ha, hb, session } = setup();
    const toAlice = inbound(ha, mallory); // alice's Noise peer is mallory
    const toBob = join(hb, session.code, mallory); // bob's Noise peer is mallory
    toAlice.start(0);
    const [request] = sentMessages(toBob.start(0)).map((m) => frame(m));
    const challengeMsg = sentMessages(toAlice.receive(request, 0))[0] as PairingChallenge;
    const challenge = rewriteKeys ? { ...challengeMsg, publicKey: mallory.publicKey } : challengeMsg;
    const bobActions = toBob.receive(frame(challenge), 0);
    if (!rewriteKeys) {
      assert.equal(failure(bobActions)?.code, 'KEY_MISMATCH');
      continue;
    }
    const response = sentMessages(bobActions)[0];
    assert.equal(response.type, 'PairingResponse');
    const forged = { ...(response as any), publicKey: mallory.publicKey };
    const aliceActions = toAlice.receive(frame(forged), 0);
    assert.equal(failure(aliceActions)?.code, 'BAD_PROOF');
    assert.ok(!types(aliceActions).includes('commit'));
    assert.equal(session.state, 'challenged');
  }
});

test('replayed recording of an earlier pairing is rejected', () => {
  const { ha, hb, session } = setup();
  const first = wire(join(hb, session.code, alice), inbound(ha, bob));
  assert.ok(first.initiator.completed);
  const [request, response] = first.joiner.sent;
  const [challenge, complete] = first.initiator.sent;

  // 1. To the same initiator: the code is consumed.
  const again = inbound(ha, bob);
  again.start(0);
  assert.equal(failure(again.receive(request, 0))?.code, 'CONSUMED');

  // 2. To a new session with the same code: fresh initiator nonce, the old proof fails.
  const ha2 = makeHandler(alice);
  ha2.createInitiatorSession({ now: 0, code: session.code });
  const replay = inbound(ha2, bob);
  replay.start(0);
  assert.deepEqual(types(replay.receive(request, 0)), ['send']);
  const r = replay.receive(response, 0);
  assert.equal(failure(r)?.code, 'BAD_PROOF');
  assert.ok(!types(r).includes('commit'));

  // 3. The initiator's recorded frames to a fresh joiner: fresh joiner nonce, the old proof fails.
  const hb2 = makeHandler(bob);
  const joiner = join(hb2, session.code, alice);
  joiner.start(0);
  assert.deepEqual(sentMessages(joiner.receive(challenge, 0)).map((m) => m.type), ['PairingResponse']);
  const jr = joiner.receive(complete, 0);
  assert.equal(failure(jr)?.code, 'BAD_PROOF');
  assert.ok(!types(jr).includes('commit'));
});

test('a joiner whose claimed key differs from its Noise key: KEY_MISMATCH', () => {
  const { ha, hb, session } = setup();
  // Noise authenticated carol, but the response carries bob's key (bob's honest state machine).
  const link = wire(join(hb, session.code, alice), inbound(ha, carol));
  assert.equal(link.initiator.failed?.code, 'KEY_MISMATCH');
  assert.equal(link.joiner.failed?.code, 'KEY_MISMATCH');
  assert.equal(link.joiner.failed?.remote, true);
  assert.equal(link.initiator.registry.size + link.joiner.registry.size, 0);
  // A peer id that does not belong to the key is refused before anything is read.
  const bad = ha.acceptInbound({ remotePeerId: bob.peerId, remotePublicKey: carol.publicKey, now: 0 });
  assert.equal(failure(bad.start(0))?.code, 'KEY_MISMATCH');
  const self = ha.acceptInbound({ remotePeerId: alice.peerId, remotePublicKey: alice.publicKey, now: 0 });
  assert.equal(failure(self.start(0))?.code, 'REJECTED');
});

test('a consumed code cannot pair again', () => {
  const { ha, hb, session } = setup();
  assert.ok(wire(join(hb, session.code, alice), inbound(ha, bob)).initiator.completed);
  for (const [h, dev] of [[hb, bob], [makeHandler(carol), carol]] as const) {
    const link = wire(join(h, session.code, alice), inbound(ha, dev));
    assert.equal(link.joiner.failed?.code, 'CONSUMED');
    assert.equal(link.initiator.failed?.code, 'CONSUMED');
    assert.equal(link.joiner.registry.size + link.initiator.registry.size, 0);
  }
  // Nor can it be armed again on the same device.
  assert.throws(() => ha.createInitiatorSession({ now: 0, code: session.code }), { code: 'CONSUMED' });
  const open = ha.createInitiatorSession({ now: 0 });
  assert.throws(() => ha.createInitiatorSession({ now: 0, code: open.code }), { code: 'INVALID_ARGUMENT' });
});

test('an expired code fails with EXPIRED; tick expires sessions and their waiting conversations', () => {
  const { ha, hb, session } = setup(1000);
  const late = wire(join(hb, session.code, alice, 1000), inbound(ha, bob, 1000), { now: 1000 });
  assert.equal(late.joiner.failed?.code, 'EXPIRED');
  assert.equal(late.joiner.conv.state, 'expired');
  assert.equal(late.initiator.failed?.code, 'EXPIRED');

  const { ha: h2, session: s2 } = setup(1000);
  const m = new Impostor(mallory, s2.sessionId);
  const waiting = inbound(h2, mallory);
  waiting.start(0);
  waiting.receive(m.request(), 0);
  assert.equal(waiting.state, 'challenged');
  assert.deepEqual(h2.tick(999), []);
  const events = h2.tick(1000);
  assert.deepEqual(events.map((e) => e.type), ['session-expired', 'conversation']);
  const convEvent = events[1];
  assert.ok(convEvent.type === 'conversation' && convEvent.conversation === waiting);
  assert.deepEqual(sentMessages(convEvent.actions), [{ type: 'PairingError', code: 'EXPIRED' }]);
  assert.equal(s2.state, 'expired');
  assert.equal(waiting.state, 'expired');
});

test('a joiner that proved the code before expiry may finish after it', () => {
  const { ha, hb, session } = setup(1000);
  const link = new Link(join(hb, session.code, alice, 900), inbound(ha, bob, 900), { now: 900 });
  link.step(3); // request, challenge, response: the initiator verified and sent Complete
  assert.equal(link.initiator.conv.state, 'verifying');
  assert.equal(session.state, 'verifying');
  link.now = 1500;
  assert.deepEqual(ha.tick(1500).map((e) => e.type), ['session-expired']);
  link.run();
  assert.ok(link.joiner.completed && link.initiator.completed);
  assert.equal(session.state, 'completed');
});

test('cancelSession ends its conversations and refuses new joiners', () => {
  const { ha, hb, session } = setup();
  const m = new Impostor(mallory, session.sessionId);
  const waiting = inbound(ha, mallory);
  waiting.start(0);
  waiting.receive(m.request(), 0);
  const events = ha.cancelSession(session.id, 5);
  assert.deepEqual(events.map((e) => e.type), ['session-cancelled', 'conversation']);
  assert.equal(waiting.error?.code, 'CANCELLED');
  assert.equal(session.state, 'failed');
  assert.equal(session.failure, 'CANCELLED');
  const link = wire(join(hb, session.code, alice, 10), inbound(ha, bob, 10), { now: 10 });
  assert.equal(link.joiner.failed?.code, 'CANCELLED');
});

/** Drives a conversation of the given role into a state, returning it and what else is needed. */
function inState(role: 'initiator' | 'joiner', state: 'waiting' | 'challenged' | 'verifying') {
  const { ha, hb, session } = setup();
  const link = new Link(join(hb, session.code, alice), inbound(ha, bob));
  const steps = { initiator: { waiting: 0, challenged: 1, verifying: 3 }, joiner: { waiting: 0, challenged: 2, verifying: -1 } }[role][state];
  link.step(steps);
  const conv = role === 'initiator' ? link.initiator.conv : link.joiner.conv;
  assert.equal(conv.state, state);
  return { conv, session, ha, hb, link };
}

const ALL_TYPES = ['PairingRequest', 'PairingChallenge', 'PairingResponse', 'PairingComplete', 'PairingAck'] as const;
const SAMPLE = {
  PairingRequest: frame({ type: 'PairingRequest', sessionId: new Uint8Array(32), nonce: new Uint8Array(32), ephemeralKey: new Uint8Array(32).fill(9) }),
  PairingChallenge: frame({ type: 'PairingChallenge', nonce: new Uint8Array(32), ephemeralKey: new Uint8Array(32).fill(9), publicKey: alice.publicKey, info: alice.info }),
  PairingResponse: frame({ type: 'PairingResponse', publicKey: bob.publicKey, info: bob.info, mac: new Uint8Array(32), signature: new Uint8Array(64) }),
  PairingComplete: frame({ type: 'PairingComplete', mac: new Uint8Array(32), signature: new Uint8Array(64) }),
  PairingAck: frame({ type: 'PairingAck', mac: new Uint8Array(32) }),
};
const EXPECTED = {
  initiator: { waiting: 'PairingRequest', challenged: 'PairingResponse', verifying: 'PairingAck' },
  joiner: { waiting: 'PairingChallenge', challenged: 'PairingComplete' },
} as const;

test('unexpected message in every state: UNEXPECTED_MESSAGE, told to the peer, conversation ends', () => {
  let checked = 0;
  for (const role of ['initiator', 'joiner'] as const) {
    for (const [state, expected] of Object.entries(EXPECTED[role])) {
      for (const type of ALL_TYPES) {
        if (type === expected) continue;
        const { conv, session } = inState(role, state as 'waiting');
        const actions = conv.receive(SAMPLE[type], 0);
        assert.deepEqual(types(actions), ['send', 'failed', 'close'], `${role}/${state}/${type}`);
        assert.deepEqual(sentMessages(actions), [{ type: 'PairingError', code: 'UNEXPECTED_MESSAGE' }]);
        assert.equal(conv.state, 'failed');
        assert.notEqual(session.state, 'completed');
        assert.deepEqual(conv.receive(SAMPLE[type], 0), []); // ended: nothing more happens
        checked++;
      }
    }
  }
  assert.equal(checked, 20);
});

test('a PairingError from the peer ends the conversation in every state without an answer', () => {
  for (const role of ['initiator', 'joiner'] as const) {
    for (const state of Object.keys(EXPECTED[role])) {
      const { conv } = inState(role, state as 'waiting');
      const actions = conv.receive(frame({ type: 'PairingError', code: 'TIMEOUT' }), 0);
      assert.deepEqual(types(actions), ['failed', 'close']);
      assert.equal(failure(actions)?.code, 'TIMEOUT');
      assert.equal(failure(actions)?.remote, true);
    }
  }
});

test('garbage, oversize and version-mismatched frames in every state end the conversation with a typed error', () => {
  const cases: [Uint8Array, string][] = [
    [Uint8Array.of(0, 0, 0x20, 0x01), 'FRAME_TOO_LARGE'],
    [Uint8Array.of(0, 0, 0, 0), 'MALFORMED_FRAME'],
    [Uint8Array.of(0, 0, 0, 3, 1, 0x01, 0xff), 'MALFORMED_FRAME'],
    [Uint8Array.of(0, 0, 0, 2, 9, 0x01), 'VERSION_MISMATCH'],
    [Buffer.concat([SAMPLE.PairingAck.subarray(0, 3), Uint8Array.of(SAMPLE.PairingAck[3] + 1), SAMPLE.PairingAck.subarray(4), Uint8Array.of(0)]), 'MALFORMED_FRAME'],
  ];
  for (const role of ['initiator', 'joiner'] as const) {
    for (const state of Object.keys(EXPECTED[role])) {
      for (const [bytes, code] of cases) {
        const { conv } = inState(role, state as 'waiting');
        const actions = conv.receive(bytes, 0);
        assert.equal(failure(actions)?.code, code, `${role}/${state}/${code}`);
        assert.deepEqual(sentMessages(actions), [{ type: 'PairingError', code }]);
      }
    }
  }
});

test('silence: tick fails the conversation with TIMEOUT in every waiting state', () => {
  for (const role of ['initiator', 'joiner'] as const) {
    for (const state of Object.keys(EXPECTED[role])) {
      const { conv, ha, hb } = inState(role, state as 'waiting');
      const handler = role === 'initiator' ? ha : hb;
      assert.deepEqual(conv.tick(9_999), []);
      assert.deepEqual(handler.tick(9_999), []);
      const events = handler.tick(10_000);
      assert.equal(events.length, 1, `${role}/${state}`);
      const e = events[0];
      assert.ok(e.type === 'conversation' && e.conversation === conv);
      assert.equal(failure(e.actions)?.code, 'TIMEOUT');
      assert.deepEqual(sentMessages(e.actions), [{ type: 'PairingError', code: 'TIMEOUT' }]);
      assert.equal(conv.state, 'failed');
    }
  }
  // Data that arrives after the deadline is too late even without a tick.
  const { conv } = inState('joiner', 'waiting');
  assert.equal(failure(conv.receive(SAMPLE.PairingChallenge, 10_000))?.code, 'TIMEOUT');
});

test('joiner crashes before committing: nothing anywhere, the same code pairs on retry', () => {
  const { ha, hb, session } = setup();
  const link = wire(join(hb, session.code, alice), inbound(ha, bob), { noCommit: 'joiner' });
  assert.equal(link.joiner.conv.state, 'committing');
  assert.ok(link.joiner.commitPending);
  assert.equal(link.initiator.conv.state, 'verifying');
  assert.equal(session.state, 'verifying');
  // Crash: the joiner's stream closes while it has not committed; the initiator notices.
  const closed = link.initiator.conv.close(0);
  assert.equal(failure(closed)?.code, 'CLOSED');
  assert.equal(session.state, 'challenged'); // lock released
  assert.equal(link.initiator.registry.size + link.joiner.registry.size, 0);
  const retry = wire(join(makeHandler(bob), session.code, alice), inbound(ha, bob));
  assert.ok(retry.joiner.completed && retry.initiator.completed);
});

test('Ack lost after the joiner committed (two generals): joiner has the entry, initiator times out; re-pairing heals', () => {
  const { ha, hb, session } = setup();
  const link = wire(join(hb, session.code, alice), inbound(ha, bob), { tamper: (f, from, i) => (i === 4 ? undefined : f) });
  assert.equal(link.joiner.registry.size, 1);
  assert.equal(link.initiator.registry.size, 0);
  assert.equal(link.initiator.failed?.code, 'CLOSED');
  assert.equal(session.state, 'challenged');
  const again = wire(join(hb, session.code, alice), inbound(ha, bob));
  assert.ok(again.initiator.completed && again.joiner.completed);
  assert.equal(session.state, 'completed');
});

test('while committing, late or hostile input is ignored and the commit completes', () => {
  const { ha, hb, session } = setup();
  const link = wire(join(hb, session.code, alice), inbound(ha, bob), { noCommit: 'initiator' });
  const conv = link.initiator.conv;
  assert.equal(conv.state, 'committing');
  assert.deepEqual(conv.receive(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0), []);
  assert.deepEqual(conv.close(0), []);
  assert.deepEqual(conv.tick(1e9), []);
  assert.deepEqual(ha.tick(1e9).filter((e) => e.type === 'conversation'), []);
  link.commit(link.initiator);
  assert.equal(conv.state, 'completed');
  assert.equal(session.state, 'completed');
  assert.equal(link.initiator.registry.size, 1);
});

test('conversation limits: per session and in total, refused with BUSY', () => {
  const ha = makeHandler(alice, { maxConversationsPerSession: 2, maxConversations: 3 });
  const session = ha.createInitiatorSession({ now: 0 });
  const convs = [mallory, carol, bob].map((d) => {
    const c = inbound(ha, d);
    c.start(0);
    return c;
  });
  const m = new Impostor(mallory, session.sessionId);
  assert.deepEqual(types(convs[0].receive(m.request(), 0)), ['send']);
  assert.deepEqual(types(convs[1].receive(m.request(), 0)), ['send']);
  const busy = convs[2].receive(m.request(), 0);
  assert.equal(failure(busy)?.code, 'BUSY');
  assert.deepEqual(sentMessages(busy), [{ type: 'PairingError', code: 'BUSY' }]);
  // Total limit: two open conversations plus a third is the maximum.
  const third = inbound(ha, bob);
  assert.deepEqual(third.start(0), []);
  const fourth = inbound(ha, bob);
  assert.equal(failure(fourth.start(0))?.code, 'BUSY');
});

test('50 bogus joiners racing one real joiner: the real one pairs', () => {
  const ha = makeHandler(alice);
  const session = ha.createInitiatorSession({ now: 0 });
  const attackers = Array.from({ length: 50 }, (_, i) => makeDevice(`bogus-${i}`, 100 + i));
  type Bot = { conv: PairingConversation; kind: string; impostor: Impostor; out: PairingAction[] };
  const bots: Bot[] = attackers.map((d, i) => {
    const kind = ['impostor', 'garbage', 'silent', 'wrong-session', 'oversize'][i % 5];
    const sessionId = kind === 'wrong-session' ? new Uint8Array(32).fill(i) : session.sessionId;
    const conv = inbound(ha, d);
    return { conv, kind, impostor: new Impostor(d, sessionId), out: conv.start(0) };
  });
  // All bogus joiners send their request first, then the real joiner connects.
  for (const b of bots) b.out.push(...b.conv.receive(b.impostor.request(), 0));
  const real = new Link(join(makeHandler(bob), session.code, alice), inbound(ha, bob));
  real.step(2); // request in, challenge out
  for (const b of bots) {
    const ch = sentMessages(b.out).find((m) => m.type === 'PairingChallenge') as PairingChallenge | undefined;
    if (b.kind === 'impostor' && ch) b.out.push(...b.conv.receive(b.impostor.response(ch, alice), 0));
    if (b.kind === 'garbage') b.out.push(...b.conv.receive(Uint8Array.of(0, 0, 0, 5, 1, 3, 0, 0, 0), 0));
    if (b.kind === 'oversize') b.out.push(...b.conv.receive(Uint8Array.of(0x7f, 0xff, 0xff, 0xff), 0));
  }
  real.run();
  assert.ok(real.initiator.completed && real.joiner.completed, `real joiner failed: ${real.joiner.failed?.code}`);
  assert.equal(session.state, 'completed');
  assert.deepEqual(real.initiator.registry.get(bob.deviceId)?.peer.peerId, bob.peerId);
  const codes = (kind: string) => bots.filter((b) => b.kind === kind).map((b) => b.conv.error?.code);
  assert.deepEqual(new Set(codes('impostor')), new Set(['BAD_PROOF']));
  assert.deepEqual(new Set(codes('garbage')), new Set(['MALFORMED_FRAME']));
  assert.deepEqual(new Set(codes('oversize')), new Set(['FRAME_TOO_LARGE']));
  assert.deepEqual(new Set(codes('wrong-session')), new Set(['UNKNOWN_SESSION']));
  // No bogus joiner ever received the initiator's proof.
  for (const b of bots) assert.ok(!sentMessages(b.out).some((m) => m.type === 'PairingComplete'));
  // Silent ones are still waiting; a late response now finds the code consumed; the rest time out.
  const silent = bots.filter((b) => b.kind === 'silent');
  assert.ok(silent.every((b) => b.conv.state === 'challenged'));
  const ch = sentMessages(silent[0].out)[0] as PairingChallenge;
  assert.equal(failure(silent[0].conv.receive(silent[0].impostor.response(ch, alice), 1))?.code, 'CONSUMED');
  // The next tick tells the remaining ones that the code is consumed.
  const ended = ha.tick(2).filter((e) => e.type === 'conversation');
  assert.equal(ended.length, silent.length - 1);
  for (const e of ended) assert.ok(e.type === 'conversation' && e.conversation.error?.code === 'CONSUMED');
  assert.equal(ha.conversations.length, 0);
});

test('startJoiner parses a typed code and throws PairingCodeError for a bad one', () => {
  const { hb, session } = setup();
  const typed = session.code.words.map((w) => w.slice(0, 4).toUpperCase()).join('-');
  assert.equal(join(hb, typed, alice).state, 'waiting');
  assert.throws(() => join(hb, 'not a code', alice), { name: 'PairingCodeError', code: 'WRONG_WORD_COUNT' });
  // A conversation that is never started still times out (no leak).
  const events = hb.tick(10_000);
  assert.equal(events.length, 1);
  assert.equal(hb.conversations.length, 0);
});

test('handler.close ends every session and conversation and refuses new work', () => {
  const { ha, hb, session } = setup();
  const link = new Link(join(hb, session.code, alice), inbound(ha, bob));
  link.step(1);
  const events = ha.close(7);
  assert.ok(events.some((e) => e.type === 'session-cancelled'));
  assert.equal(link.initiator.conv.error?.code, 'CANCELLED');
  assert.equal(ha.conversations.length, 0);
  assert.throws(() => ha.createInitiatorSession({ now: 8 }), { code: 'CANCELLED' });
  assert.throws(() => inbound(ha, bob, 8), { code: 'CANCELLED' });
});

test('constructor rejects an inconsistent local identity', () => {
  assert.throws(() => makeHandler({ ...alice, publicKey: bob.publicKey }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => makeHandler({ ...alice, deviceId: bob.deviceId }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => makeHandler({ ...alice, peerId: bob.peerId }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => makeHandler({ ...alice, info: { name: '', os: '', appVersion: '' } }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => makeHandler(alice, { readTimeoutMs: 0 }), { code: 'INVALID_ARGUMENT' });
});

test('pairingRecordFrom maps a result to a registry record', () => {
  const { ha, hb, session } = setup();
  const link = wire(join(hb, session.code, alice), inbound(ha, bob));
  const r = link.initiator.completed!;
  const rec = pairingRecordFrom(r, { addresses: ['/ip4/127.0.0.1/tcp/1'] });
  assert.deepEqual(rec, {
    name: 'bob',
    os: 'linux',
    appVersion: '0.1.0',
    peerId: bob.peerId,
    publicKey: bob.publicKey,
    method: 'network',
    sessionKeys: r.sessionKeys,
    addresses: ['/ip4/127.0.0.1/tcp/1'],
  });
});

test('our own overlong device info is cut at a code point boundary, not refused', () => {
  const h = makeHandler({ ...alice, info: { name: '💻'.repeat(70), os: 'x'.repeat(300), appVersion: '1' } });
  assert.equal(h.local.info.name, '💻'.repeat(63)); // 63 * 4 = 252 bytes <= 255
  assert.equal(h.local.info.os.length, 128);
});
