// Puts paired devices into a home through the registry API, as a pairing would.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { DeviceRegistry, peerIdFromEd25519PublicKey, type PairedDevice, type PairingRecord } from '@pairkit/registry';

export async function addDevice(home: string, over: Partial<PairingRecord> = {}): Promise<PairedDevice> {
  const publicKey = ed25519.getPublicKey(randomBytes(32));
  const reg = await DeviceRegistry.open({ home });
  try {
    return reg.savePairing({
      peerId: peerIdFromEd25519PublicKey(publicKey),
      publicKey,
      name: 'laptop',
      os: 'Linux 6.1 x64',
      appVersion: '0.1.0',
      method: 'network',
      addresses: ['/ip4/127.0.0.1/tcp/4001'],
      sessionKeys: { tx: new Uint8Array(randomBytes(32)), rx: new Uint8Array(randomBytes(32)) },
      ...over,
    });
  } finally {
    reg.close();
  }
}

export function bondFor(address: string) {
  return {
    address,
    addressType: 'random' as const,
    irk: new Uint8Array(randomBytes(16)),
    ltk: new Uint8Array(randomBytes(16)),
    ediv: 0,
    rand: new Uint8Array(8),
    keySize: 16,
    authenticated: true,
    secureConnections: true,
  };
}

/** A prefix of `id` that no other id in `others` shares. */
export function uniquePrefix(id: string, others: string[]): string {
  let n = 4;
  while (others.some((o) => o !== id && o.startsWith(id.slice(0, n)))) n++;
  return id.slice(0, n);
}
