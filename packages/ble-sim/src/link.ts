import type { SimController } from './controller.js';

/** One end of an LE connection: the controller and the handle its host knows the link by. */
export interface LinkEnd {
  readonly controller: SimController;
  readonly handle: number;
  /** 0x00 central, 0x01 peripheral (the Role parameter of LE Connection Complete). */
  readonly role: 0 | 1;
  /** Address type and address the peer sees for this end. */
  readonly addressType: number;
  readonly address: Buffer;
  /** ACL packets this end's host handed over that are not yet completed. */
  inFlight: number;
  /** Data length (LL payload octets and time) this end transmits with. */
  txOctets: number;
  txTime: number;
}

/** Pending encryption start: the central's LTK, waiting for the peripheral host's reply. */
export interface EncryptionStart {
  readonly ltk: Buffer;
  readonly rand: Buffer;
  readonly ediv: number;
  /** The link was already encrypted: success is a key refresh, not an Encryption Change. */
  readonly refresh: boolean;
  /** The LTK Request reached the peripheral's host and awaits Reply / Negative Reply. */
  askedHost: boolean;
}

/** An LE connection between two simulated controllers. */
export class SimLink {
  closed = false;
  encrypted = false;
  encryption: EncryptionStart | null = null;
  interval: number;
  latency: number;
  supervisionTimeout: number;
  /** 0 = Channel Selection Algorithm #1, 1 = #2 (LE Channel Selection Algorithm event). */
  channelSelectionAlgorithm = 0;
  /** The peripheral's extended advertising set the link was made from, if any. */
  advertisingHandle: number | undefined;

  constructor(
    readonly central: LinkEnd,
    readonly peripheral: LinkEnd,
    params: { interval: number; latency: number; supervisionTimeout: number },
  ) {
    this.interval = params.interval;
    this.latency = params.latency;
    this.supervisionTimeout = params.supervisionTimeout;
  }

  end(c: SimController): LinkEnd {
    return c === this.central.controller ? this.central : this.peripheral;
  }

  peer(c: SimController): LinkEnd {
    return c === this.central.controller ? this.peripheral : this.central;
  }
}
