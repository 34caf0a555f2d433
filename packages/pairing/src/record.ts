// The registry entry a network pairing writes (one `savePairing` transaction).
import type { PairingRecord } from '@pairkit/registry';
import type { PairingResult } from './types.js';

export function pairingRecordFrom(result: PairingResult, extra: { addresses?: string[]; pairedAt?: number } = {}): PairingRecord {
  return {
    ...result.peer.info,
    peerId: result.peer.peerId,
    publicKey: result.peer.publicKey,
    method: 'network',
    sessionKeys: { tx: result.sessionKeys.tx, rx: result.sessionKeys.rx },
    ...(extra.addresses ? { addresses: extra.addresses } : {}),
    ...(extra.pairedAt !== undefined ? { pairedAt: extra.pairedAt } : {}),
  };
}
