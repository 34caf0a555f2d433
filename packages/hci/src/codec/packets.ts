import { H4PacketType } from '../constants.js';
import { HciError } from '../errors.js';
import { checkRange, toBuffer } from './bytes.js';

/** One HCI packet, without its payload decoded. */
export type HciPacket = HciCommandPacket | HciEventPacket | HciAclPacket | HciScoPacket | HciIsoPacket;

export interface HciCommandPacket {
  type: 'command';
  opcode: number;
  params: Buffer;
}
export interface HciEventPacket {
  type: 'event';
  code: number;
  params: Buffer;
}
export interface HciAclPacket {
  type: 'acl';
  handle: number;
  /** Packet_Boundary_Flag (2 bits). */
  pb: number;
  /** Broadcast_Flag (2 bits). */
  bc: number;
  data: Buffer;
}
export interface HciScoPacket {
  type: 'sco';
  handle: number;
  status: number;
  data: Buffer;
}
export interface HciIsoPacket {
  type: 'iso';
  handle: number;
  flags: number;
  data: Buffer;
}

/** Header length after the H4 indicator, and where the payload length sits. */
export function h4HeaderInfo(type: number): { header: number; length: (b: Buffer, off: number) => number } | undefined {
  switch (type) {
    case H4PacketType.Command:
      return { header: 3, length: (b, o) => b[o + 2] };
    case H4PacketType.ACL:
      return { header: 4, length: (b, o) => b.readUInt16LE(o + 2) };
    case H4PacketType.SCO:
      return { header: 3, length: (b, o) => b[o + 2] };
    case H4PacketType.Event:
      return { header: 2, length: (b, o) => b[o + 1] };
    case H4PacketType.ISO:
      return { header: 4, length: (b, o) => b.readUInt16LE(o + 2) & 0x3fff };
    default:
      return undefined;
  }
}

export function encodeCommand(op: number, params: Uint8Array = Buffer.alloc(0)): Buffer {
  checkRange('opcode', op, 0xffff);
  if (params.length > 255) throw new HciError('TOO_LARGE', `command parameters are ${params.length} bytes (max 255)`);
  const b = Buffer.alloc(4 + params.length);
  b[0] = H4PacketType.Command;
  b.writeUInt16LE(op, 1);
  b[3] = params.length;
  b.set(params, 4);
  return b;
}

export function encodeEvent(code: number, params: Uint8Array = Buffer.alloc(0)): Buffer {
  checkRange('event code', code, 0xff);
  if (params.length > 255) throw new HciError('TOO_LARGE', `event parameters are ${params.length} bytes (max 255)`);
  const b = Buffer.alloc(3 + params.length);
  b[0] = H4PacketType.Event;
  b[1] = code;
  b[2] = params.length;
  b.set(params, 3);
  return b;
}

export function encodeAcl(handle: number, pb: number, bc: number, data: Uint8Array): Buffer {
  checkRange('connection handle', handle, 0x0fff);
  checkRange('PB flag', pb, 3);
  checkRange('BC flag', bc, 3);
  if (data.length > 0xffff) throw new HciError('TOO_LARGE', `ACL data is ${data.length} bytes`);
  const b = Buffer.alloc(5 + data.length);
  b[0] = H4PacketType.ACL;
  b.writeUInt16LE(handle | (pb << 12) | (bc << 14), 1);
  b.writeUInt16LE(data.length, 3);
  b.set(data, 5);
  return b;
}

export function encodePacket(p: HciPacket): Buffer {
  switch (p.type) {
    case 'command':
      return encodeCommand(p.opcode, p.params);
    case 'event':
      return encodeEvent(p.code, p.params);
    case 'acl':
      return encodeAcl(p.handle, p.pb, p.bc, p.data);
    case 'sco': {
      if (p.data.length > 255) throw new HciError('TOO_LARGE', 'SCO data over 255 bytes');
      const b = Buffer.alloc(4 + p.data.length);
      b[0] = H4PacketType.SCO;
      b.writeUInt16LE((p.handle & 0x0fff) | ((p.status & 3) << 12), 1);
      b[3] = p.data.length;
      b.set(p.data, 4);
      return b;
    }
    case 'iso': {
      if (p.data.length > 0x3fff) throw new HciError('TOO_LARGE', 'ISO data over 16383 bytes');
      const b = Buffer.alloc(5 + p.data.length);
      b[0] = H4PacketType.ISO;
      b.writeUInt16LE((p.handle & 0x0fff) | ((p.flags & 0xf) << 12), 1);
      b.writeUInt16LE(p.data.length, 3);
      b.set(p.data, 5);
      return b;
    }
  }
}

/**
 * Decode one whole H4 packet (indicator byte first). The declared length must match the
 * buffer exactly: short is TRUNCATED, long is MALFORMED.
 */
export function decodePacket(input: Uint8Array): HciPacket {
  const b = toBuffer(input);
  if (b.length < 1) throw new HciError('TRUNCATED', 'empty H4 packet');
  const info = h4HeaderInfo(b[0]);
  if (!info) throw new HciError('UNKNOWN_PACKET_TYPE', `unknown H4 packet type 0x${b[0].toString(16)}`);
  if (b.length < 1 + info.header) throw new HciError('TRUNCATED', `H4 packet header needs ${info.header} bytes`);
  const len = info.length(b, 1);
  const total = 1 + info.header + len;
  if (b.length < total) throw new HciError('TRUNCATED', `H4 packet declares ${len} payload bytes, has ${b.length - 1 - info.header}`);
  if (b.length > total) throw new HciError('MALFORMED', `H4 packet has ${b.length - total} trailing byte(s)`);
  // A view, not a copy: packets from H4Deframer and transports own their buffers.
  const payload = b.subarray(1 + info.header, total);
  switch (b[0]) {
    case H4PacketType.Command:
      return { type: 'command', opcode: b.readUInt16LE(1), params: payload };
    case H4PacketType.Event:
      return { type: 'event', code: b[1], params: payload };
    case H4PacketType.ACL: {
      const hf = b.readUInt16LE(1);
      return { type: 'acl', handle: hf & 0x0fff, pb: (hf >> 12) & 3, bc: (hf >> 14) & 3, data: payload };
    }
    case H4PacketType.SCO: {
      const hf = b.readUInt16LE(1);
      return { type: 'sco', handle: hf & 0x0fff, status: (hf >> 12) & 3, data: payload };
    }
    default: {
      const hf = b.readUInt16LE(1);
      return { type: 'iso', handle: hf & 0x0fff, flags: (hf >> 12) & 0xf, data: payload };
    }
  }
}

export function decodeAcl(input: Uint8Array): HciAclPacket {
  const p = decodePacket(input);
  if (p.type !== 'acl') throw new HciError('MALFORMED', `expected an ACL packet, got ${p.type}`);
  return p;
}
