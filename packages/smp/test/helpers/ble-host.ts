// The npm `ble-host` stack (CommonJS, untyped) as an independent BLE peer on ble-sim.
import { createRequire } from 'node:module';
import type { SimTransport } from '@pairkit/ble-sim';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
export const NodeBleHost: any = require('ble-host');
export type BleManager = any;
export type BleConnection = any;

export function createManager(transport: SimTransport, staticRandomAddress?: string): Promise<BleManager> {
  return new Promise((resolve, reject) => {
    NodeBleHost.BleManager.create(transport, staticRandomAddress ? { staticRandomAddress } : {}, (err: Error | null, m: BleManager) => {
      if (err) return reject(err);
      m.on('error', () => {}); // a transport closed by the test is reported as an error
      resolve(m);
    });
  });
}

/** ble-host advertises; resolves with its connection once a central connects. */
export function advertise(m: BleManager): Promise<BleConnection> {
  const data = new NodeBleHost.AdvertisingDataBuilder().addFlags(['leGeneralDiscoverableMode', 'brEdrNotSupported']).addLocalName(true, 'ble-host').build();
  return new Promise((resolve, reject) => {
    m.setAdvertisingData(data, (status: number) => {
      if (status !== 0) return reject(new Error(`setAdvertisingData status ${status}`));
      m.startAdvertising({}, (s: number, conn: BleConnection) => (s === 0 ? resolve(conn) : reject(new Error(`advertising status ${s}`))));
    });
  });
}

export function connect(m: BleManager, type: 'public' | 'random', address: string): Promise<BleConnection> {
  return new Promise((resolve) => m.connect(type, address, {}, (conn: BleConnection) => resolve(conn)));
}

/** Promise of ble-host's pairing outcome: 'pairingComplete' or 'pairingFail' (its name for failure). */
export function outcome(conn: BleConnection): Promise<{ ok: true; res: any } | { ok: false; reason: number; remote: boolean }> {
  return new Promise((resolve) => {
    conn.smp.once('pairingComplete', (res: any) => resolve({ ok: true, res }));
    conn.smp.once('pairingFail', (reason: number, remote: boolean) => resolve({ ok: false, reason, remote }));
  });
}

export function encrypted(conn: BleConnection): Promise<{ status: number; level: any }> {
  return new Promise((resolve) => conn.smp.once('encrypt', (status: number, level: any) => resolve({ status, level })));
}
