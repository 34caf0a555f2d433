import { generateKeyPairSync } from 'node:crypto';
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { NodeIdentity } from '../../src/node.js';

/** A fresh Ed25519 identity shaped like the registry's LocalIdentity key fields. */
export function makeIdentity(): NodeIdentity {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const privateKey = new Uint8Array(Buffer.from(jwk.d!, 'base64url'));
  const publicKey = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  return { peerId: peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString(), publicKey, privateKey };
}
