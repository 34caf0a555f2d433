import { ed25519 } from '@noble/curves/ed25519.js';
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { NodeIdentity } from '../../src/node.js';

/** A fresh Ed25519 identity shaped like the registry's LocalIdentity key fields. */
export function makeIdentity(): NodeIdentity {
  const privateKey = ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(privateKey);
  const peerId = peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString();
  return { peerId, publicKey, privateKey };
}
