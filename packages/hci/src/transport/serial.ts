import type { Duplex } from 'node:stream';
import { HciError } from '../errors.js';
import { StreamTransport } from './stream.js';

/** H4 over a UART through the optional `serialport` package (8N1, RTS/CTS flow control). */
export async function openSerial(path: string, baudRate: number, signal?: AbortSignal): Promise<StreamTransport> {
  let SerialPort: new (opts: Record<string, unknown>, cb: (err: Error | null) => void) => Duplex;
  try {
    const mod = (await import('serialport' as string)) as { SerialPort?: typeof SerialPort; default?: { SerialPort: typeof SerialPort } };
    SerialPort = (mod.SerialPort ?? mod.default?.SerialPort)!;
    if (!SerialPort) throw new Error('SerialPort export missing');
  } catch (e) {
    throw new HciError('NOT_SUPPORTED', `serial:${path}: the optional package serialport is not installed or failed to load`, { cause: e });
  }
  signal?.throwIfAborted();
  const port = await new Promise<Duplex>((resolve, reject) => {
    const p = new SerialPort({ path, baudRate, rtscts: true, autoOpen: true }, (err) => {
      if (err) reject(new HciError('TRANSPORT', `serial:${path}: ${err.message}`, { cause: err }));
      else resolve(p);
    });
  });
  return new StreamTransport(port, `serial:${path}@${baudRate}`);
}
