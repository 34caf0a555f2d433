// The npm `ble-host` stack (CommonJS, untyped) as an independent BLE peer, reaching a
// `pair sim` server over TCP. Its transport wants one whole H4 packet per 'data' event.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { connect as tcpConnect, type Socket } from 'node:net';
import { H4Deframer } from '@pairkit/ble-sim';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
export const BleHost: any = require('ble-host');

class H4OverTcp extends EventEmitter {
  readonly #frames = new H4Deframer();
  constructor(readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      for (const packet of this.#frames.push(chunk)) this.emit('data', packet);
    });
    socket.on('close', () => this.emit('close'));
  }
  write(packet: Buffer): void {
    this.socket.write(packet);
  }
}

/** A ble-host BleManager on a new controller of the sim server at `uri` (tcp:HOST:PORT). */
export async function bleHostOn(uri: string): Promise<{ manager: any; close(): void }> {
  const [, host, port] = /^tcp:(.+):(\d+)$/.exec(uri)!;
  const socket = tcpConnect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const manager = await new Promise<any>((resolve, reject) =>
    BleHost.BleManager.create(new H4OverTcp(socket), {}, (err: Error | null, m: any) => (err ? reject(err) : resolve(m))),
  );
  manager.on('error', () => {}); // the test closes the socket on purpose
  return { manager, close: () => socket.destroy() };
}
