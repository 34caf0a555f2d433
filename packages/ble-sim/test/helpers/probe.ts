// A bare-bones test host: sends raw HCI commands to a SimController (sans-IO, no transport)
// and keeps every packet the controller emits, so tests can assert on exact bytes.
import type { SimController } from '../../src/index.js';

export interface Evt {
  code: number;
  params: Buffer;
}

export class Probe {
  readonly events: Evt[] = [];
  readonly acl: Buffer[] = [];
  constructor(
    readonly c: SimController,
    init = true,
  ) {
    c.on('packet', (p) => {
      if (p[0] === 0x04) this.events.push({ code: p[1], params: p.subarray(3) });
      else if (p[0] === 0x02) this.acl.push(p);
    });
    if (init) {
      // As a host's init does: the reset default event mask leaves LE Meta (bit 61) masked.
      this.cmd(OP.SetEventMask, Buffer.from('ffffffffffffff3f', 'hex'));
      this.clear();
    }
  }

  /** Send a command; returns the Command Complete return parameters or the Command Status status. */
  cmd(opcode: number, params: Uint8Array = Buffer.alloc(0)): { kind: 'complete' | 'status'; status: number; ret: Buffer } {
    const before = this.events.length;
    this.c.receive(Buffer.concat([Buffer.from([0x01, opcode & 0xff, opcode >> 8, params.length]), params]));
    for (const e of this.events.slice(before)) {
      if (e.code === 0x0e && e.params.readUInt16LE(1) === opcode) return { kind: 'complete', status: e.params[3], ret: e.params.subarray(3) };
      if (e.code === 0x0f && e.params.readUInt16LE(2) === opcode) return { kind: 'status', status: e.params[0], ret: e.params.subarray(0, 1) };
    }
    throw new Error(`no Command Complete/Status for 0x${opcode.toString(16)}`);
  }

  /** Sends ACL data for a handle with the given PB flag. */
  sendAcl(handle: number, pb: number, data: Uint8Array): void {
    const hdr = Buffer.alloc(5);
    hdr[0] = 0x02;
    hdr.writeUInt16LE(handle | (pb << 12), 1);
    hdr.writeUInt16LE(data.length, 3);
    this.c.receive(Buffer.concat([hdr, data]));
  }

  le(sub: number): Buffer[] {
    return this.events.filter((e) => e.code === 0x3e && e.params[0] === sub).map((e) => e.params.subarray(1));
  }
  of(code: number): Buffer[] {
    return this.events.filter((e) => e.code === code).map((e) => e.params);
  }
  clear(): void {
    this.events.length = 0;
    this.acl.length = 0;
  }
}

export const OP = {
  Reset: 0x0c03,
  SetEventMask: 0x0c01,
  Disconnect: 0x0406,
  LESetEventMask: 0x2001,
  LESetAdvParams: 0x2006,
  LESetAdvData: 0x2008,
  LESetScanRsp: 0x2009,
  LESetAdvEnable: 0x200a,
  LESetScanParams: 0x200b,
  LESetScanEnable: 0x200c,
  LECreateConn: 0x200d,
  LECreateConnCancel: 0x200e,
  LEStartEnc: 0x2019,
  LELtkReply: 0x201a,
  LELtkNegReply: 0x201b,
} as const;

/** Advertising parameters: ADV_IND by default, public own address. */
export function advParams(type = 0, ownAddressType = 0): Buffer {
  const b = Buffer.alloc(15);
  b.writeUInt16LE(0x20, 0);
  b.writeUInt16LE(0x20, 2);
  b[4] = type;
  b[5] = ownAddressType;
  b[13] = 0x07;
  return b;
}

export function advData(data: Uint8Array): Buffer {
  const b = Buffer.alloc(32);
  b[0] = data.length;
  Buffer.from(data).copy(b, 1);
  return b;
}

/** LE Create Connection to a public peer address (little-endian octets). */
export function createConn(peerLE: Uint8Array, peerType = 0): Buffer {
  const b = Buffer.alloc(25);
  b.writeUInt16LE(0x10, 0);
  b.writeUInt16LE(0x10, 2);
  b[4] = 0;
  b[5] = peerType;
  Buffer.from(peerLE).copy(b, 6);
  b[12] = 0;
  b.writeUInt16LE(24, 13);
  b.writeUInt16LE(40, 15);
  b.writeUInt16LE(0, 17);
  b.writeUInt16LE(400, 19);
  return b;
}

/** Connects two probes: a advertises, b initiates. Returns [centralHandle, peripheralHandle]. */
export function connectPair(central: Probe, peripheral: Probe): [number, number] {
  peripheral.cmd(OP.LESetAdvParams, advParams());
  peripheral.cmd(OP.LESetAdvEnable, Buffer.from([1]));
  const st = central.cmd(OP.LECreateConn, createConn(peripheral.c.publicAddress));
  if (st.status !== 0) throw new Error(`create connection status ${st.status}`);
  // LE Connection Complete, or the enhanced one where a probe unmasked it (same head layout).
  const last = (p: Probe): Buffer | undefined => p.events.filter((e) => e.code === 0x3e && (e.params[0] === 0x01 || e.params[0] === 0x0a)).at(-1)?.params.subarray(1);
  const cc = last(central);
  const pc = last(peripheral);
  if (!cc || !pc || cc[0] !== 0 || pc[0] !== 0) throw new Error('no LE Connection Complete on both sides');
  return [cc.readUInt16LE(1), pc.readUInt16LE(1)];
}

/** Manual timers for SimAir: nothing crosses the air until the test calls `tick()`. */
export class ManualTimers {
  private queue: Array<{ fn: () => void; id: number }> = [];
  private nextId = 1;
  setTimeout = (fn: () => void, _ms: number): unknown => {
    const id = this.nextId++;
    this.queue.push({ fn, id });
    return id;
  };
  clearTimeout = (id: unknown): void => {
    this.queue = this.queue.filter((e) => e.id !== id);
  };
  /** Runs one connection interval: everything scheduled so far (not what that schedules). */
  tick(): void {
    const due = this.queue;
    this.queue = [];
    for (const e of due) e.fn();
  }
  get pending(): number {
    return this.queue.length;
  }
}
