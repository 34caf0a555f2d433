import { HciError } from '../errors.js';
import { Reader, toBuffer } from '../codec/bytes.js';
import { SignalingCode } from './constants.js';

/** Basic L2CAP frame: Length, Channel ID, payload. */
export function encodeL2capPdu(cid: number, payload: Uint8Array): Buffer {
  if (payload.length > 0xffff) throw new HciError('TOO_LARGE', `L2CAP payload ${payload.length} bytes`);
  const b = Buffer.alloc(4 + payload.length);
  b.writeUInt16LE(payload.length, 0);
  b.writeUInt16LE(cid, 2);
  b.set(payload, 4);
  return b;
}

export function decodeL2capPdu(data: Uint8Array): { cid: number; payload: Buffer } {
  const r = new Reader(toBuffer(data), 'L2CAP PDU');
  const len = r.u16();
  const cid = r.u16();
  if (r.remaining !== len) throw new HciError(r.remaining < len ? 'TRUNCATED' : 'MALFORMED', `L2CAP PDU length ${len}, payload ${r.remaining}`);
  return { cid, payload: r.rest() };
}

/** A decoded LE signaling command. */
export type SignalingCommand =
  | { code: 0x01; identifier: number; reason: number; data: Buffer }
  | { code: 0x06 | 0x07; identifier: number; destinationCid: number; sourceCid: number }
  | { code: 0x12; identifier: number; intervalMin: number; intervalMax: number; latency: number; timeout: number }
  | { code: 0x13; identifier: number; result: number }
  | { code: 0x14; identifier: number; spsm: number; sourceCid: number; mtu: number; mps: number; initialCredits: number }
  | { code: 0x15; identifier: number; destinationCid: number; mtu: number; mps: number; initialCredits: number; result: number }
  | { code: 0x16; identifier: number; cid: number; credits: number }
  | { code: number & {}; identifier: number; unknown: true; data: Buffer };

/** Decode one signaling command (the LE signaling channel carries one per C-frame). */
export function decodeSignaling(data: Uint8Array): SignalingCommand {
  const r = new Reader(toBuffer(data), 'L2CAP signaling');
  const code = r.u8();
  const identifier = r.u8();
  const len = r.u16();
  if (r.remaining < len) throw new HciError('TRUNCATED', `signaling command declares ${len} bytes, has ${r.remaining}`);
  const body = new Reader(r.bytes(len), 'L2CAP signaling');
  const fixed = (n: number) => {
    if (len !== n) throw new HciError('MALFORMED', `signaling code 0x${code.toString(16)} must be ${n} bytes, is ${len}`);
  };
  switch (code) {
    case SignalingCode.L2CAP_COMMAND_REJECT_RSP: {
      const reason = body.u16();
      return { code, identifier, reason, data: body.rest() };
    }
    case SignalingCode.L2CAP_DISCONNECTION_REQ:
    case SignalingCode.L2CAP_DISCONNECTION_RSP:
      fixed(4);
      return { code, identifier, destinationCid: body.u16(), sourceCid: body.u16() };
    case SignalingCode.L2CAP_CONNECTION_PARAMETER_UPDATE_REQ:
      fixed(8);
      return { code, identifier, intervalMin: body.u16(), intervalMax: body.u16(), latency: body.u16(), timeout: body.u16() };
    case SignalingCode.L2CAP_CONNECTION_PARAMETER_UPDATE_RSP:
      fixed(2);
      return { code, identifier, result: body.u16() };
    case SignalingCode.L2CAP_LE_CREDIT_BASED_CONNECTION_REQ:
      fixed(10);
      return { code, identifier, spsm: body.u16(), sourceCid: body.u16(), mtu: body.u16(), mps: body.u16(), initialCredits: body.u16() };
    case SignalingCode.L2CAP_LE_CREDIT_BASED_CONNECTION_RSP:
      fixed(10);
      return { code, identifier, destinationCid: body.u16(), mtu: body.u16(), mps: body.u16(), initialCredits: body.u16(), result: body.u16() };
    case SignalingCode.L2CAP_FLOW_CONTROL_CREDIT_IND:
      fixed(4);
      return { code, identifier, cid: body.u16(), credits: body.u16() };
    default:
      return { code, identifier, unknown: true, data: body.rest() };
  }
}

function sig(code: number, identifier: number, words: number[], extra: Uint8Array = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(4 + words.length * 2 + extra.length);
  b[0] = code;
  b[1] = identifier;
  b.writeUInt16LE(words.length * 2 + extra.length, 2);
  words.forEach((w, i) => b.writeUInt16LE(w, 4 + 2 * i));
  b.set(extra, 4 + words.length * 2);
  return b;
}

/** Encode a signaling command (without the basic L2CAP header). */
export function encodeSignaling(c: Exclude<SignalingCommand, { unknown: true }>): Buffer {
  switch (c.code) {
    case 0x01:
      return sig(c.code, c.identifier, [c.reason], c.data);
    case 0x06:
    case 0x07:
      return sig(c.code, c.identifier, [c.destinationCid, c.sourceCid]);
    case 0x12:
      return sig(c.code, c.identifier, [c.intervalMin, c.intervalMax, c.latency, c.timeout]);
    case 0x13:
      return sig(c.code, c.identifier, [c.result]);
    case 0x14:
      return sig(c.code, c.identifier, [c.spsm, c.sourceCid, c.mtu, c.mps, c.initialCredits]);
    case 0x15:
      return sig(c.code, c.identifier, [c.destinationCid, c.mtu, c.mps, c.initialCredits, c.result]);
    case 0x16:
      return sig(c.code, c.identifier, [c.cid, c.credits]);
  }
}
