// Two devices pair in memory: every frame one side sends is handed straight to the other side.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { deviceIdFromPublicKey, peerIdFromEd25519PublicKey } from '@pairkit/registry';
import { PairingProtocolHandler, type PairingAction, type PairingConversation } from '@pairkit/pairing';

function handler(name: string): PairingProtocolHandler {
  const privateKey = new Uint8Array(randomBytes(32)); // Ed25519 seed
  const publicKey = ed25519.getPublicKey(privateKey);
  const deviceId = deviceIdFromPublicKey(publicKey);
  const peerId = peerIdFromEd25519PublicKey(publicKey);
  return new PairingProtocolHandler({ local: { deviceId, peerId, publicKey, privateKey, info: { name, os: 'linux', appVersion: '1.0.0' } } });
}

const laptop = handler('laptop'); // shows the code
const phone = handler('phone'); // the user types it here
const session = laptop.createInitiatorSession({ now: Date.now() });
const typed = session.code.toString();

// Over a network the peer ids and keys come from the Noise handshake of the stream.
const inbound = laptop.acceptInbound({ remotePeerId: phone.local.peerId, remotePublicKey: phone.local.publicKey, now: Date.now() });
const outbound = phone.startJoiner({ code: typed, remotePeerId: laptop.local.peerId, remotePublicKey: laptop.local.publicKey, now: Date.now() });
const ends = new Map([[inbound, { name: 'laptop', peer: outbound }], [outbound, { name: 'phone', peer: inbound }]]);

function run(conv: PairingConversation, actions: PairingAction[]): void {
  const { name, peer } = ends.get(conv)!;
  for (const a of actions) {
    if (a.type === 'send') run(peer, peer.receive(a.frame, Date.now()));
    else if (a.type === 'commit') run(conv, conv.committed(Date.now())); // save a.result durably first
    else if (a.type === 'completed') console.log(`${name} paired with ${a.result.peer.info.name}, verification ${a.result.verification}`);
    else if (a.type === 'failed') console.log(`${name} failed: ${a.error.code}`);
  }
}

run(inbound, inbound.start(Date.now()));
run(outbound, outbound.start(Date.now()));
laptop.close(Date.now());
phone.close(Date.now());
