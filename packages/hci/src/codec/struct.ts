import { addressFromBytes, addressToBytes } from '../address.js';
import { HciError } from '../errors.js';
import { Reader } from './bytes.js';

/**
 * Field kinds of fixed-layout HCI parameter blocks. `bN` is N raw bytes; `adv31` is the
 * length byte + 31 padded bytes of HCI_LE_Set_Advertising_Data; `lv8` is a length byte then
 * that many bytes; `rest` is all remaining bytes.
 */
export type FieldKind =
  | 'u8'
  | 'i8'
  | 'u16'
  | 'u24'
  | 'u32'
  | 'addr'
  | 'b3'
  | 'b5'
  | 'b8'
  | 'b10'
  | 'b16'
  | 'b32'
  | 'b64'
  | 'adv31'
  | 'lv8'
  | 'rest';

export type Schema = readonly (readonly [string, FieldKind])[];

type KindValue<K> = K extends 'u8' | 'i8' | 'u16' | 'u24' | 'u32' ? number : K extends 'addr' ? string : Buffer;

/** The object type a schema decodes to. */
export type StructOf<S extends Schema> = { [F in S[number] as F[0]]: KindValue<F[1]> };

const fixedBytes: Partial<Record<FieldKind, number>> = { b3: 3, b5: 5, b8: 8, b10: 10, b16: 16, b32: 32, b64: 64 };
const intMax: Partial<Record<FieldKind, number>> = { u8: 0xff, u16: 0xffff, u24: 0xffffff, u32: 0xffffffff };

export function schemaSize(s: Schema): number | undefined {
  let n = 0;
  for (const [, k] of s) {
    if (k === 'rest' || k === 'lv8') return undefined;
    n += k === 'u8' || k === 'i8' ? 1 : k === 'u16' ? 2 : k === 'u24' ? 3 : k === 'u32' ? 4 : k === 'addr' ? 6 : k === 'adv31' ? 32 : fixedBytes[k]!;
  }
  return n;
}

export function decodeStruct<S extends Schema>(s: S, r: Reader): StructOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, k] of s) {
    switch (k) {
      case 'u8':
        out[name] = r.u8();
        break;
      case 'i8': {
        const v = r.u8();
        out[name] = v > 127 ? v - 256 : v;
        break;
      }
      case 'u16':
        out[name] = r.u16();
        break;
      case 'u24':
        out[name] = r.u24();
        break;
      case 'u32':
        out[name] = r.u32();
        break;
      case 'addr':
        r.need(6);
        out[name] = addressFromBytes(r.bytes(6));
        break;
      case 'adv31': {
        const len = r.u8();
        const data = r.bytes(31);
        if (len > 31) throw new HciError('MALFORMED', `${name}: length ${len} exceeds 31`);
        out[name] = data.subarray(0, len);
        break;
      }
      case 'lv8':
        out[name] = r.bytes(r.u8());
        break;
      case 'rest':
        out[name] = r.rest();
        break;
      default:
        out[name] = r.bytes(fixedBytes[k]!);
    }
  }
  return out as StructOf<S>;
}

const intSize: Partial<Record<FieldKind, number>> = { u8: 1, i8: 1, u16: 2, u24: 3, u32: 4 };

/** Size of one field's encoding; validates the value on the way (typed INVALID_PARAMETER / TOO_LARGE). */
function fieldSize(name: string, k: FieldKind, x: unknown): number {
  if (x === undefined) throw new HciError('INVALID_PARAMETER', `missing parameter ${name}`);
  const isize = intSize[k];
  if (isize !== undefined) {
    const min = k === 'i8' ? -128 : 0;
    const max = k === 'i8' ? 127 : intMax[k]!;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      throw new HciError('INVALID_PARAMETER', `${name} out of range: ${String(x)}`);
    }
    return isize;
  }
  if (k === 'addr') return 6;
  if (!(x instanceof Uint8Array)) throw new HciError('INVALID_PARAMETER', `${name} must be bytes`);
  if (k === 'adv31') {
    if (x.length > 31) throw new HciError('TOO_LARGE', `${name} is ${x.length} bytes (max 31)`);
    return 32;
  }
  if (k === 'lv8') {
    if (x.length > 255) throw new HciError('TOO_LARGE', `${name} is ${x.length} bytes (max 255)`);
    return 1 + x.length;
  }
  if (k === 'rest') return x.length;
  const n = fixedBytes[k]!;
  if (x.length !== n) throw new HciError('INVALID_PARAMETER', `${name} must be ${n} bytes`);
  return n;
}

export function encodeStruct<S extends Schema>(s: S, value: StructOf<S>): Buffer {
  const v = value as Record<string, unknown>;
  let size = 0;
  for (const [name, k] of s) size += fieldSize(name, k, v[name]);
  // One allocation: validate and size first, then write.
  const out = Buffer.alloc(size);
  let off = 0;
  for (const [name, k] of s) {
    const x = v[name];
    switch (k) {
      case 'u8':
      case 'u16':
      case 'u24':
      case 'u32':
        off = out.writeUIntLE(x as number, off, intSize[k]!);
        break;
      case 'i8':
        off = out.writeInt8(x as number, off);
        break;
      case 'addr':
        out.set(addressToBytes(x as string), off);
        off += 6;
        break;
      case 'adv31': {
        const d = x as Uint8Array;
        out[off] = d.length;
        out.set(d, off + 1);
        off += 32;
        break;
      }
      case 'lv8': {
        const d = x as Uint8Array;
        out[off] = d.length;
        out.set(d, off + 1);
        off += 1 + d.length;
        break;
      }
      default: {
        const d = x as Uint8Array;
        out.set(d, off);
        off += d.length;
      }
    }
  }
  return out;
}
