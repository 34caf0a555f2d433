// OOB text as a terminal QR code (qrcode-terminal renders synchronously through a callback).
import qrcode from 'qrcode-terminal';
import { BootstrapError } from './errors.js';

/** The text as a QR made of terminal block characters (two modules per character row). */
export function terminalQr(text: string): string {
  if (typeof text !== 'string' || text.length === 0) throw new BootstrapError('INVALID_INPUT', 'QR text must be a non-empty string');
  let out: string | undefined;
  qrcode.generate(text, { small: true }, (qr) => {
    out = qr;
  });
  if (out === undefined) throw new BootstrapError('INVALID_INPUT', 'QR rendering failed');
  return out;
}
