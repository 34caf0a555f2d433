// Promise wrappers around the npm `ble-host` stack (CommonJS, untyped), used as an
// independent BLE host against ble-sim.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const NodeBleHost: any = require('ble-host');

/* eslint-disable @typescript-eslint/no-explicit-any */
export type BleManager = any;
export type BleConnection = any;

export interface HciTransportLike extends EventEmitter {
  write(data: Buffer): unknown;
}

export function createManager(transport: HciTransportLike, options: Record<string, unknown> = {}): Promise<BleManager> {
  return new Promise((resolve, reject) => {
    NodeBleHost.BleManager.create(transport, options, (err: Error | null, manager: BleManager) => {
      if (err) return reject(err);
      // BleManager reports a closed transport as 'error'; tests close transports on purpose.
      manager.on('error', () => {});
      resolve(manager);
    });
  });
}

/** Starts advertising; resolves with the Connection once a central connects. */
export function advertise(manager: BleManager, name: string): { started: Promise<void>; connected: Promise<BleConnection> } {
  const data = new NodeBleHost.AdvertisingDataBuilder().addFlags(['leGeneralDiscoverableMode', 'brEdrNotSupported']).addLocalName(true, name).build();
  let started!: () => void;
  let failed!: (e: Error) => void;
  const startedP = new Promise<void>((res, rej) => {
    started = res;
    failed = rej;
  });
  const connected = new Promise<BleConnection>((resolve, reject) => {
    manager.setAdvertisingData(data, (status: number) => {
      if (status !== 0) return failed(new Error(`setAdvertisingData status ${status}`));
      manager.startAdvertising({}, (status: number, conn: BleConnection) => {
        if (status !== 0) {
          reject(new Error(`advertising status ${status}`));
          return;
        }
        resolve(conn);
      });
      // startAdvertising's callback only fires on connection; the Command Complete has already
      // been processed when the next command completes, so chain a harmless one.
      manager.setScanResponseData(Buffer.alloc(0), () => started());
    });
  });
  return { started: startedP, connected };
}

/** Scans until a device advertising `name` is seen; resolves with its address. */
export function scanFor(manager: BleManager, name: string, signal: AbortSignal): Promise<{ type: string; address: string }> {
  return new Promise((resolve, reject) => {
    const scanner = manager.startScan({ activeScan: true });
    const onAbort = (): void => {
      scanner.stopScan();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    scanner.on('report', (r: any) => {
      if (r.parsedDataItems?.localName === name) {
        signal.removeEventListener('abort', onAbort);
        scanner.stopScan();
        resolve({ type: r.addressType, address: r.address });
      }
    });
  });
}

export function connect(manager: BleManager, type: string, address: string): Promise<BleConnection> {
  return new Promise((resolve) => manager.connect(type, address, {}, (conn: BleConnection) => resolve(conn)));
}

export { NodeBleHost };
