import assert from 'node:assert/strict';
import { DeviceRegistry, type PairedDevice } from '@pairkit/registry';

/** Reads a home's registry (the CLI process that wrote it has exited or been killed). */
export function devicesIn(home: string): PairedDevice[] {
  const r = DeviceRegistry.openSync({ home, env: {} });
  try {
    return r.list().map((d) => r.get(d.deviceId)!);
  } finally {
    r.close();
  }
}

export function identityOf(home: string): { deviceId: string; peerId: string; publicKey: Uint8Array } {
  const r = DeviceRegistry.openSync({ home, env: {} });
  try {
    const id = r.identity();
    return { deviceId: id.deviceId, peerId: id.peerId, publicKey: id.publicKey };
  } finally {
    r.close();
  }
}

/** `home` holds exactly one complete entry: the device of `otherHome`, with session keys. */
export function assertCompleteEntry(home: string, otherHome: string): PairedDevice {
  const list = devicesIn(home);
  const other = identityOf(otherHome);
  assert.equal(list.length, 1, `${home} should hold one device`);
  const d = list[0];
  assert.equal(d.deviceId, other.deviceId);
  assert.equal(d.peerId, other.peerId);
  assert.deepEqual(d.publicKey, other.publicKey);
  assert.equal(d.method, 'network');
  assert.ok(d.sessionKeys, 'session keys stored with the entry');
  assert.equal(d.sessionKeys.tx.length, 32);
  assert.equal(d.sessionKeys.rx.length, 32);
  return d;
}

/** Both homes hold each other, and the session keys match in opposite directions. */
export function assertPairedBothWays(a: string, b: string): void {
  const ab = assertCompleteEntry(a, b);
  const ba = assertCompleteEntry(b, a);
  assert.deepEqual(ab.sessionKeys!.tx, ba.sessionKeys!.rx);
  assert.deepEqual(ab.sessionKeys!.rx, ba.sessionKeys!.tx);
}
