import { randomBytes } from 'node:crypto';
import type { LeAddress, LocalIdentityKeys, SmpCoreOptions } from '../../src/index.js';

export const CENTRAL_ADDR: LeAddress = { type: 'random', address: 'C1:22:33:44:55:66' };
export const PERIPHERAL_ADDR: LeAddress = { type: 'public', address: '00:1B:DC:07:31:88' };

export function identityKeys(identity: LeAddress): LocalIdentityKeys {
  return { irk: new Uint8Array(randomBytes(16)), csrk: new Uint8Array(randomBytes(16)), identityAddress: identity };
}

/** Options for a central and a peripheral with identity keys and the given extras. */
export function pairOptions(
  central: Partial<SmpCoreOptions> = {},
  peripheral: Partial<SmpCoreOptions> = {},
): [Omit<SmpCoreOptions, 'role'>, Omit<SmpCoreOptions, 'role'>] {
  return [
    { localAddress: CENTRAL_ADDR, peerAddress: PERIPHERAL_ADDR, ioCapability: 3, localKeys: identityKeys({ type: 'random', address: 'C0:AA:BB:CC:DD:01' }), ...central },
    { localAddress: PERIPHERAL_ADDR, peerAddress: CENTRAL_ADDR, ioCapability: 3, localKeys: identityKeys({ type: 'public', address: '00:1B:DC:07:31:88' }), ...peripheral },
  ];
}
