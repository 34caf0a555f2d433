// Test vector inputs (PROTOCOL.md "Test vectors") and the code that runs them through the implementation.
import {
  PairingCode,
  deriveConfirmKeys,
  deriveSessionId,
  deriveAuthKey,
  type PairingConversation,
  type PairingResult,
} from '../../src/index.js';
import { Link, hexOf, makeDevice, makeHandler } from './peers.js';

export const VECTOR_INPUTS = {
  entropy: '000102030405060708090a0b0c0d0e0f',
  initiatorSeed: '01'.repeat(32),
  joinerSeed: '02'.repeat(32),
  initiatorInfo: { name: 'alice', os: 'linux', appVersion: '0.1.0' },
  joinerInfo: { name: 'bob', os: 'linux', appVersion: '0.1.0' },
  initiatorNonce: '11'.repeat(32),
  initiatorEphemeralPrivate: '12'.repeat(32),
  joinerNonce: '21'.repeat(32),
  joinerEphemeralPrivate: '22'.repeat(32),
};

/** Hands out the given byte strings in order (nonce first, then the ephemeral private key). */
function queueRandom(...hexes: string[]): (n: number) => Uint8Array {
  const queue = hexes.map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error('vector random source exhausted or wrong length');
    return next;
  };
}

export interface VectorOutput {
  words: string;
  sessionId: string;
  authKey: string;
  confirmJoiner: string;
  confirmInitiator: string;
  confirmAck: string;
  initiatorPeerId: string;
  joinerPeerId: string;
  initiatorDeviceId: string;
  joinerDeviceId: string;
  frames: { PairingRequest: string; PairingChallenge: string; PairingResponse: string; PairingComplete: string; PairingAck: string };
  transcriptHash: string;
  keyInitiatorToJoiner: string;
  keyJoinerToInitiator: string;
  verification: string;
}

export function runVector(): VectorOutput {
  const v = VECTOR_INPUTS;
  const alice = { ...makeDevice('alice', 1), info: v.initiatorInfo };
  const bob = { ...makeDevice('bob', 2), info: v.joinerInfo };
  const entropy = Uint8Array.from(Buffer.from(v.entropy, 'hex'));
  const code = PairingCode.fromEntropy(entropy);
  const ha = makeHandler(alice, { random: queueRandom(v.initiatorNonce, v.initiatorEphemeralPrivate) });
  const hb = makeHandler(bob, { random: queueRandom(v.joinerNonce, v.joinerEphemeralPrivate) });
  ha.createInitiatorSession({ now: 0, code });
  const joiner: PairingConversation = hb.startJoiner({ code: code.toString(), remotePeerId: alice.peerId, remotePublicKey: alice.publicKey, now: 0 });
  const initiator = ha.acceptInbound({ remotePeerId: bob.peerId, remotePublicKey: bob.publicKey, now: 0 });
  const link = new Link(joiner, initiator).run();
  const i = link.initiator.completed as PairingResult;
  const j = link.joiner.completed as PairingResult;
  if (!i || !j) throw new Error('vector pairing failed');
  const [req, resp, ack] = link.joiner.sent.map(hexOf);
  const [chal, comp] = link.initiator.sent.map(hexOf);
  const authKey = deriveAuthKey(entropy);
  const ck = deriveConfirmKeys(authKey);
  return {
    words: code.toString(),
    sessionId: hexOf(deriveSessionId(entropy)),
    authKey: hexOf(authKey),
    confirmJoiner: hexOf(ck.joiner),
    confirmInitiator: hexOf(ck.initiator),
    confirmAck: hexOf(ck.ack),
    initiatorPeerId: alice.peerId,
    joinerPeerId: bob.peerId,
    initiatorDeviceId: alice.deviceId,
    joinerDeviceId: bob.deviceId,
    frames: { PairingRequest: req, PairingChallenge: chal, PairingResponse: resp, PairingComplete: comp, PairingAck: ack },
    transcriptHash: hexOf(i.transcriptHash),
    keyInitiatorToJoiner: hexOf(i.sessionKeys.tx),
    keyJoinerToInitiator: hexOf(i.sessionKeys.rx),
    verification: i.verification,
  };
}
