// An independent BLE host (npm `ble-host`) pairs at the SMP level with a pairkit device that
// is advertising for the handover. It cannot do the handover itself and leaves: the pairkit
// initiator forgets that link (stores nothing for it), advertises again, and a real pairkit
// joiner then pairs end to end in the same run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceRegistry } from '@pairkit/registry';
import { PAIRKIT_SERVICE_UUID } from '../src/index.js';
import { BleHost, bleHostOn } from './helpers/ble-host.js';
import { home, list, pair, run, sim } from './helpers/cli.js';

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];

// ble-host keeps its bonds under the working folder.
const cwd = process.cwd();
const scratch = mkdtempSync(path.join(tmpdir(), 'pairkit-boot-blehost-'));
before(() => process.chdir(scratch));
after(() => {
  process.chdir(cwd);
  rmSync(scratch, { recursive: true, force: true });
});

test('ble-host pairs with LE SC Numeric Comparison (same digits) and leaves without the handover; the initiator forgets it, advertises again, and a pairkit joiner pairs in the same run', async (t) => {
  const hci = await sim(t);
  const ha = home(t, 'a');
  const hb = home(t, 'b');
  const a = pair(t, ha, ['initiate', '--ble', '--hci', hci, '--yes', ...LISTEN]);
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
  const strangerAddress = String(ours.address);

  // ble-host opens no handover channel and leaves: one failed attempt, and pairkit advertises again.
  conn.disconnect();
  const failedAttempt = await a.waitFor('attempt-failed');
  assert.equal(failedAttempt.code, 'LINK_LOST');
  assert.equal(failedAttempt.attempt, 1);
  assert.equal(failedAttempt.address, strangerAddress);
  assert.equal(typeof failedAttempt.reason, 'string');
  assert.equal((await a.waitFor('advertising', 60_000, 2)).attempt, 2);
  assert.ok(!a.events().includes('handover'), 'the code never went out to ble-host');

  // A real pairkit joiner now pairs with the same initiator run.
  const b = pair(t, hb, ['join', '--ble', '--hci', hci, '--yes', ...LISTEN]);
  const [ca, cb] = await Promise.all([a.exited, b.exited]);
  assert.equal(ca, 0, a.stderr);
  assert.equal(cb, 0, b.stderr);
  assert.equal(a.events().filter((e) => e === 'attempt-failed').length, 1);
  const whoB = (await run(t, hb, ['whoami'])).lines[0];
  const whoA = (await run(t, ha, ['whoami'])).lines[0];
  const [la, lb] = await Promise.all([list(t, ha), list(t, hb)]);
  assert.equal(la.length, 1);
  assert.equal(lb.length, 1);
  assert.equal(la[0].deviceId, whoB.deviceId);
  assert.equal(lb[0].deviceId, whoA.deviceId);
  assert.equal(la[0].method, 'both');
  assert.equal(la[0].bleAddress, whoB.bleAddress);
  assert.equal(lb[0].bleAddress, whoA.bleAddress);
  assert.equal(lb[0].peerId, (await b.waitFor('handover')).peerId);

  // Nothing of the ble-host attempt is left in the initiator's registry: one bond, the joiner's.
  const reg = DeviceRegistry.openSync({ home: ha, env: {} });
  try {
    assert.deepEqual(reg.listBonds().map((x) => x.address), [whoB.bleAddress]);
    assert.equal(reg.getBond(strangerAddress), undefined);
  } finally {
    reg.close();
  }
});
