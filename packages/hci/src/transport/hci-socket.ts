import createDebug from 'debug';
import { HciError } from '../errors.js';
import { BaseTransport } from './types.js';

const debug = createDebug('pairkit:hci:transport');

interface NativeHciSocket {
  bindUser(devId: number): number;
  start(): void;
  stop(): void;
  write(data: Buffer): void;
  on(event: 'data', cb: (data: Buffer) => void): unknown;
  on(event: 'error', cb: (e: NodeJS.ErrnoException) => void): unknown;
  removeAllListeners(): unknown;
}

/** Linux HCI user channel (needs CAP_NET_ADMIN and the adapter down); one packet per read. */
export class HciSocketTransport extends BaseTransport {
  constructor(private readonly socket: NativeHciSocket, readonly index: number) {
    super();
    socket.on('data', (p) => this.emit('data', Buffer.from(p)));
    socket.on('error', (e) => {
      const err = new HciError('TRANSPORT', `hci${index}: ${e.message}`, { cause: e });
      if (this.listenerCount('error') > 0) this.emit('error', err);
      this.ended();
    });
  }
  write(packet: Buffer): void {
    if (this.closed) throw new HciError('CLOSED', `hci${this.index}: transport is closed`);
    this.socket.write(packet);
  }
  protected doClose(): void {
    try {
      this.socket.stop();
    } catch (e) {
      debug('hci socket stop: %s', (e as Error).message);
    }
    this.socket.removeAllListeners();
  }
}

/** Open hciN through the optional `@abandonware/bluetooth-hci-socket` package. */
export async function openHciSocket(index: number): Promise<HciSocketTransport> {
  let Ctor: new () => NativeHciSocket;
  let socket: NativeHciSocket;
  try {
    const mod = (await import('@abandonware/bluetooth-hci-socket' as string)) as { default: new () => NativeHciSocket };
    Ctor = mod.default;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAFNOSUPPORT' || /EAFNOSUPPORT|Address family not supported/.test((e as Error).message)) {
      throw new HciError('NO_BLUETOOTH', `hci${index}: no Bluetooth in this kernel (AF_BLUETOOTH not supported)`, { cause: e });
    }
    throw new HciError('NOT_SUPPORTED', `hci${index}: the optional package @abandonware/bluetooth-hci-socket is not installed or failed to load`, {
      cause: e,
    });
  }
  try {
    socket = new Ctor();
    socket.bindUser(index);
    socket.start();
  } catch (e) {
    const msg = (e as Error).message;
    if ((e as NodeJS.ErrnoException).code === 'EAFNOSUPPORT' || /EAFNOSUPPORT|Address family not supported/.test(msg)) {
      throw new HciError('NO_BLUETOOTH', `hci${index}: no Bluetooth in this kernel (AF_BLUETOOTH not supported)`, { cause: e });
    }
    throw new HciError('TRANSPORT', `hci${index}: ${msg} (the user channel needs CAP_NET_ADMIN and the adapter down: hciconfig hci${index} down)`, {
      cause: e,
    });
  }
  return new HciSocketTransport(socket, index);
}
