// A DeviceStore for net's PairingService that adds the BLE bond to the ONE registry write
// of the network pairing (savePairing, one transaction), so a device is stored with both
// identities at once or not at all.
import type { DeviceStore } from '@pairkit/net';
import type { BleBond, PairingRecord, PairedDevice } from '@pairkit/registry';

export class BondingStore implements DeviceStore {
  readonly #inner: DeviceStore;
  #bond: Omit<BleBond, 'createdAt'> | undefined;
  #expectPeerId: string | undefined;
  /** The device saved with the bond, once it happened. */
  saved: PairedDevice | undefined;

  constructor(inner: DeviceStore) {
    this.#inner = inner;
  }

  /** The bond to attach to the next pairing commit (with the peer id we expect, if known). */
  attach(bond: Omit<BleBond, 'createdAt'>, expectPeerId?: string): void {
    this.#bond = bond;
    this.#expectPeerId = expectPeerId;
  }

  detach(): void {
    this.#bond = undefined;
    this.#expectPeerId = undefined;
  }

  savePairing(record: PairingRecord): PairedDevice {
    const bond = this.#bond;
    const mine = bond !== undefined && (this.#expectPeerId === undefined || this.#expectPeerId === record.peerId);
    const device = this.#inner.savePairing(mine ? { ...record, bond, method: 'both' } : record);
    if (mine) {
      this.saved = device;
      this.detach(); // one pairing per handover
    }
    return device;
  }

  get: DeviceStore['get'] = (id) => this.#inner.get(id);
  findByPeerId: DeviceStore['findByPeerId'] = (id) => this.#inner.findByPeerId(id);
  touch: DeviceStore['touch'] = (id, u) => this.#inner.touch(id, u);
  remove: DeviceStore['remove'] = (id) => this.#inner.remove(id);
  pendingRevocations: DeviceStore['pendingRevocations'] = () => this.#inner.pendingRevocations();
  markRevocationNotified: DeviceStore['markRevocationNotified'] = (id, at) => this.#inner.markRevocationNotified(id, at);
  identity: DeviceStore['identity'] = () => this.#inner.identity();
  usedCode: DeviceStore['usedCode'] = (sessionId) => this.#inner.usedCode?.(sessionId);
}
