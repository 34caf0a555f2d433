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

export function encodeStruct<S extends Schema>(s: S, value: StructOf<S>): Buffer {
  const v = value as Record<string, unknown>;
  const parts: Buffer[] = [];
  for (const [name, k] of s) {
    const x = v[name];
    if (x === undefined) throw new HciError('INVALID_PARAMETER', `missing parameter ${name}`);
    if (k in intMax || k === 'i8') {
      const n = x as number;
      const max = intMax[k] ?? 127;
      const min = k === 'i8' ? -128 : 0;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
        throw new HciError('INVALID_PARAMETER', `${name} out of range: ${String(x)}`);
      }
      const b = Buffer.alloc(k === 'u8' || k === 'i8' ? 1 : k === 'u16' ? 2 : k === 'u24' ? 3 : 4);
      if (k === 'i8') b.writeInt8(n);
      else b.writeUIntLE(n, 0, b.length);
      parts.push(b);
    } else if (k === 'addr') {
      parts.push(addressToBytes(x as string));
    } else if (k === 'adv31') {
      const d = x as Uint8Array;
      if (d.length > 31) throw new HciError('TOO_LARGE', `${name} is ${d.length} bytes (max 31)`);
      const b = Buffer.alloc(32);
      b[0] = d.length;
      b.set(d, 1);
      parts.push(b);
    } else if (k === 'lv8') {
      const d = x as Uint8Array;
      if (d.length > 255) throw new HciError('TOO_LARGE', `${name} is ${d.length} bytes (max 255)`);
      parts.push(Buffer.from([d.length]), Buffer.from(d));
    } else if (k === 'rest') {
      parts.push(Buffer.from(x as Uint8Array));
    } else {
      const d = x as Uint8Array;
      const n = fixedBytes[k]!;
      if (!(d instanceof Uint8Array) || d.length !== n) throw new HciError('INVALID_PARAMETER', `${name} must be ${n} bytes`);
      parts.push(Buffer.from(d));
    }
  }
  return Buffer.concat(parts);
}
