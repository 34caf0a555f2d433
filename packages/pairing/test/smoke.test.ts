import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDevice, makeHandler, wire } from './helpers/peers.js';

test('smoke', () => {
  const a = makeDevice('alice', 1);
  const b = makeDevice('bob', 2);
  const ha = makeHandler(a);
  const hb = makeHandler(b);
  const s = ha.createInitiatorSession({ now: 0 });
  const ic = ha.acceptInbound({ remotePeerId: b.peerId, remotePublicKey: b.publicKey, now: 0 });
  const jc = hb.startJoiner({ code: s.code.toString(), remotePeerId: a.peerId, remotePublicKey: a.publicKey, now: 0 });
  const r = wire(jc, ic);
  console.log(r.joiner.failed, r.initiator.failed, r.joiner.completed?.verification, r.initiator.completed?.verification);
  assert.ok(r.joiner.completed && r.initiator.completed);
});
