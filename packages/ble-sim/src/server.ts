import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import createDebug from 'debug';
import type { SimAir } from './air.js';
import type { SimController, SimControllerOptions } from './controller.js';
import { SimError } from './errors.js';
import { H4Deframer } from './h4.js';

const log = createDebug('pairkit:ble-sim:server');

export interface SimServerOptions {
  /** Options for each controller created per accepted connection. */
  controller?: SimControllerOptions;
}

export interface SimServerEvents {
  /** A client connected; this controller is its own. */
  client: [SimController, Socket];
  /** A client went away (closed, or dropped for sending garbage: then `error` is set). */
  clientClosed: [SimController, SimError | undefined];
}

/**
 * H4 over TCP: every accepted connection is a new controller on the shared air.
 * A client that sends garbage is disconnected; everyone else carries on.
 */
export class SimServer extends EventEmitter<SimServerEvents> {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closed = false;

  constructor(
    readonly air: SimAir,
    private readonly options: SimServerOptions = {},
  ) {
    super();
    this.server = createServer((s) => this.accept(s));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  async listen(port: number, host = '127.0.0.1', signal?: AbortSignal): Promise<{ host: string; port: number }> {
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(new SimError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${e.message}`));
      this.server.once('error', onError);
      this.server.listen({ port, host, signal }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    log('listening on %s:%d', a.address, a.port);
    return { host: a.address, port: a.port };
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.sockets.size;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const controller = this.air.createController(this.options.controller);
    const deframer = new H4Deframer();
    let failure: SimError | undefined;
    this.sockets.add(socket);
    log('client %s:%d is controller %d (%s)', socket.remoteAddress, socket.remotePort, controller.index, controller.address);

    const onPacket = (p: Buffer): void => {
      if (!socket.destroyed) socket.write(p);
    };
    controller.on('packet', onPacket);
    socket.on('data', (chunk) => {
      if (controller.isClosed) return;
      try {
        for (const pkt of deframer.push(chunk)) controller.receive(pkt);
      } catch (e) {
        if (!(e instanceof SimError)) throw e;
        failure = e;
        log('dropping client of controller %d: %s', controller.index, e.message);
        socket.destroy();
      }
    });
    socket.on('error', (e) => log('socket error on controller %d: %s', controller.index, e.message));
    socket.on('close', () => {
      this.sockets.delete(socket);
      controller.off('packet', onPacket);
      controller.close();
      this.emit('clientClosed', controller, failure);
    });
    this.emit('client', controller, socket);
  }

  /** Stops listening and disconnects every client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
