// An independent BLE host (npm `ble-host`) pairs at the SMP level with a pairkit device that
// is advertising for the handover. It cannot do the handover itself: the pairkit side then
// fails cleanly and stores nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PAIRKIT_SERVICE_UUID } from '../src/index.js';
import { BleHost, bleHostOn } from './helpers/ble-host.js';
import { home, list, pair, sim } from './helpers/cli.js';

// ble-host keeps its bonds under the working folder.
const cwd = process.cwd();
const scratch = mkdtempSync(path.join(tmpdir(), 'pairkit-boot-blehost-'));
before(() => process.chdir(scratch));
after(() => {
  process.chdir(cwd);
  rmSync(scratch, { recursive: true, force: true });
});

test('ble-host finds the pairkit service, pairs with LE SC Numeric Comparison; pairkit shows the same digits and stores no half entry', async (t) => {
  const hci = await sim(t);
  const ha = home(t, 'a');
  const a = pair(t, ha, ['initiate', '--ble', '--hci', hci, '--yes', '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns']);
  const adv = await a.waitFor('advertising');

  const them = await bleHostOn(hci);
  t.after(() => them.close());
  const found = await new Promise<any>((resolve) => {
    const scanner = them.manager.startScan({ activeScan: true });
    scanner.on('report', (r: any) => {
      if (r.address === adv.address && (r.parsedDataItems?.serviceUuids ?? []).some((u: string) => u.toLowerCase() === PAIRKIT_SERVICE_UUID)) {
        scanner.stopScan();
        resolve(r);
      }
    });
  });
  const conn = await new Promise<any>((resolve) => them.manager.connect(found.addressType, found.address, {}, resolve));
  let theirDigits: string | undefined;
  conn.smp.on('passkeyExchange', (model: number, passkey: string, cb: () => void) => {
    assert.equal(model, BleHost.AssociationModels.NUMERIC_COMPARISON);
    theirDigits = passkey;
    cb(); // the ble-host user confirms
  });
  const outcome = new Promise<any>((resolve, reject) => {
    conn.smp.once('pairingComplete', resolve);
    conn.smp.once('pairingFail', (reason: number) => reject(new Error(`ble-host pairing failed: ${reason}`)));
  });
  conn.smp.sendPairingRequest({ ioCap: BleHost.IOCapabilities.DISPLAY_YES_NO, bondingFlags: 1, mitm: true, sc: true });
  const res = await outcome;
  assert.equal(res.sc, true, 'LE Secure Connections');
  assert.equal(res.mitm, true, 'authenticated (Numeric Comparison)');
  assert.ok(conn.smp.isEncrypted);
  const ours = await a.waitFor('ble-paired');
  assert.equal(ours.model, 'NumericComparison');
  assert.equal((await a.waitFor('compare')).value, theirDigits, 'both showed the same six digits');

  // ble-host opens no handover channel and leaves: pairkit fails cleanly, with nothing stored.
  conn.disconnect();
  const code = await a.exited;
  assert.equal(code, 4, a.stderr);
  assert.equal((await a.waitFor('failed')).code, 'LINK_LOST');
  assert.deepEqual(await list(t, ha), []);
});
