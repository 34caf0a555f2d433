import type { DeviceRegistry, PairedDevice } from '@pairkit/registry';

export type KnownDevice = PairedDevice;

/** The part of the registry net uses (DeviceRegistry provides it). */
export type DeviceStore = Pick<
  DeviceRegistry,
  'get' | 'findByPeerId' | 'savePairing' | 'touch' | 'remove' | 'pendingRevocations' | 'markRevocationNotified' | 'identity'
> &
  /** Optional: a store that remembers used codes lets a joiner refuse a code typed again. */
  Partial<Pick<DeviceRegistry, 'usedCode'>>;
