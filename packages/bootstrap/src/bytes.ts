// Small byte helpers shared by the formats: smp's, under the names the formats use.
export { concat, constantTimeEqual as equalBytes, reverse as reversed, toHex } from '@pairkit/smp';

export function isBytes(v: unknown, length?: number): v is Uint8Array {
  return v instanceof Uint8Array && (length === undefined || v.length === length);
}
