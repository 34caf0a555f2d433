import { connect as netConnect, type Socket } from 'node:net';
import createDebug from 'debug';
import { HciError } from '../errors.js';
import { DEFAULT_SIM_HOST, DEFAULT_SIM_PORT } from '../defaults.js';
import { StreamTransport } from './stream.js';
import type { HciTransport } from './types.js';
import { openHciSocket } from './hci-socket.js';
import { openSerial } from './serial.js';
import { openUsb } from './usb.js';

const debug = createDebug('pairkit:hci:transport');

export type TransportSpec =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'hci'; index: number }
  | { kind: 'usb'; vendorId: number; productId: number }
  | { kind: 'serial'; path: string; baudRate: number };

/**
 * Parse a transport URI: `tcp:HOST:PORT`, `unix:PATH`, `sim` (= tcp 127.0.0.1:9300),
 * `hciN`, `usb:VID:PID` (hex), `serial:PATH[@BAUD]`. Throws HciError BAD_URI.
 */
export function parseTransportUri(uri: string): TransportSpec {
  const bad = (why: string) => new HciError('BAD_URI', `transport ${JSON.stringify(uri)}: ${why}`);
  if (uri === 'sim') return { kind: 'tcp', host: DEFAULT_SIM_HOST, port: DEFAULT_SIM_PORT };
  const hci = /^hci(\d+)$/.exec(uri);
  if (hci) return { kind: 'hci', index: Number(hci[1]) };
  const colon = uri.indexOf(':');
  if (colon < 0) throw bad('expected sim, hciN, tcp:HOST:PORT, unix:PATH, usb:VID:PID or serial:PATH[@BAUD]');
  const scheme = uri.slice(0, colon);
  const rest = uri.slice(colon + 1);
  switch (scheme) {
    case 'tcp': {
      const i = rest.lastIndexOf(':');
      const host = rest.slice(0, i).replace(/^\[(.*)\]$/, '$1');
      const port = Number(rest.slice(i + 1));
      if (i <= 0 || !host || !Number.isInteger(port) || port < 1 || port > 65535) throw bad('expected tcp:HOST:PORT');
      return { kind: 'tcp', host, port };
    }
    case 'unix':
      if (!rest) throw bad('expected unix:PATH');
      return { kind: 'unix', path: rest };
    case 'usb': {
      const m = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(rest);
      if (!m) throw bad('expected usb:VID:PID in hex, e.g. usb:0a12:0001');
      return { kind: 'usb', vendorId: parseInt(m[1], 16), productId: parseInt(m[2], 16) };
    }
    case 'serial': {
      const m = /^(.+?)(?:@(\d+))?$/.exec(rest);
      if (!m || !m[1]) throw bad('expected serial:PATH[@BAUD]');
      const baudRate = m[2] ? Number(m[2]) : 1_000_000;
      if (baudRate <= 0) throw bad('baud rate must be positive');
      return { kind: 'serial', path: m[1], baudRate };
    }
    default:
      throw bad(`unknown scheme ${JSON.stringify(scheme)}`);
  }
}

function connectSocket(opts: { host: string; port: number } | { path: string }, label: string, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const s = netConnect(opts);
    const onAbort = () => {
      s.destroy();
      reject(new HciError('ABORTED', `${label}: aborted`, { cause: signal!.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => {
      signal?.removeEventListener('abort', onAbort);
      s.setNoDelay?.(true);
      resolve(s);
    });
    s.once('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new HciError('TRANSPORT', `${label}: ${e.message}`, { cause: e }));
    });
  });
}

/** Open a transport by URI. */
export async function openTransport(uri: string, opts: { signal?: AbortSignal } = {}): Promise<HciTransport> {
  const spec = parseTransportUri(uri);
  debug('opening %s', uri);
  switch (spec.kind) {
    case 'tcp': {
      try {
        const s = await connectSocket({ host: spec.host, port: spec.port }, uri, opts.signal);
        return new StreamTransport(s, uri);
      } catch (e) {
        if (uri === 'sim' && e instanceof HciError && e.code === 'TRANSPORT') {
          throw new HciError('TRANSPORT', `${e.message} (is \`pair sim\` running on ${spec.host}:${spec.port}?)`, { cause: e });
        }
        throw e;
      }
    }
    case 'unix': {
      const s = await connectSocket({ path: spec.path }, uri, opts.signal);
      return new StreamTransport(s, uri);
    }
    case 'hci':
      return openHciSocket(spec.index);
    case 'usb':
      return openUsb(spec.vendorId, spec.productId);
    case 'serial':
      return openSerial(spec.path, spec.baudRate, opts.signal);
  }
}
