// Test helpers: temp homes that clean up, and real Ed25519 peers to pair with.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { peerIdFromEd25519PublicKey, type PairingRecord, type BondInput } from '../../src/index.js';

export function tempHome(t: TestContext, prefix = 'pairkit-reg-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => {
    // restore permissions a test may have removed so cleanup can proceed
    try {
      fs.chmodSync(dir, 0o700);
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export interface Peer {
  publicKey: Uint8Array;
  peerId: string;
}

export function newPeer(): Peer {
  const publicKey = ed25519.getPublicKey(randomBytes(32));
  return { publicKey, peerId: peerIdFromEd25519PublicKey(publicKey) };
}

export function record(peer: Peer, over: Partial<PairingRecord> = {}): PairingRecord {
  return {
    peerId: peer.peerId,
    publicKey: peer.publicKey,
    name: 'laptop',
    os: 'Linux',
    appVersion: '1.2.3',
    method: 'network',
    addresses: ['/ip4/127.0.0.1/tcp/4001'],
    sessionKeys: { tx: new Uint8Array(randomBytes(32)), rx: new Uint8Array(randomBytes(32)) },
    ...over,
  };
}

export function bond(address: string, over: Partial<BondInput> = {}): BondInput {
  return {
    address,
    addressType: 'random',
    irk: new Uint8Array(randomBytes(16)),
    ltk: new Uint8Array(randomBytes(16)),
    ediv: 0,
    rand: new Uint8Array(8),
    keySize: 16,
    authenticated: true,
    secureConnections: true,
    ...over,
  };
}
