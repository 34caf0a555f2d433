// Our two hosts on ble-sim, through HCI and L2CAP: the 5x5 IO matrix, SC and legacy, MITM
// on and off; the link really encrypted (the simulated controllers compare the LTKs) and the
// bonds stored in two real registries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../src/bytes.js';
import { IO_CAPABILITY_NAMES, type IoCapabilityValue, type PairingResult } from '../src/index.js';
import { simAir, simNode, link, playUsers, managerFor } from './helpers/sim.js';

const IOS: IoCapabilityValue[] = [0, 1, 2, 3, 4];

for (const sc of [true, false]) {
  test(`ble-sim: 5x5 IO matrix between two of our hosts, ${sc ? 'LE SC' : 'legacy'}, MITM on and off`, async (t) => {
    const air = await simAir(t);
    const [a, b] = await Promise.all([simNode(t, air, 'central'), simNode(t, air, 'peripheral')]);
    const aId = a.registry.identity();
    const bId = b.registry.identity();
    for (const mitm of [true, false]) {
      for (const ci of IOS) {
        for (const pi of IOS) {
          const label = `${sc ? 'SC' : 'legacy'} mitm=${mitm} ${IO_CAPABILITY_NAMES[ci]} -> ${IO_CAPABILITY_NAMES[pi]}`;
          const cm = managerFor(a, { ioCapability: ci, mitm, secureConnections: sc });
          const pm = managerFor(b, { ioCapability: pi, mitm, secureConnections: sc });
          const [cl, pl] = await link(a, b);
          const csm = cm.attach(cl);
          const psm = pm.attach(pl);
          playUsers(csm, psm);
          const peripheralDone = new Promise<PairingResult>((resolve, reject) => {
            psm.once('pairingComplete', resolve);
            psm.once('pairingFailed', reject);
          });
          const cr = await csm.pair(AbortSignal.timeout(10_000));
          const pr = await peripheralDone;
          assert.equal(cr.model, pr.model, label);
          assert.equal(cr.authenticated, cr.model !== 'JustWorks', label);
          assert.ok(cl.encrypted && pl.encrypted, `${label}: link encrypted`);
          assert.equal(cm.securityLevel(cl), cr.securityLevel, label);
          assert.equal(pm.securityLevel(pl), pr.securityLevel, label);
          // Bonds in both registries, under each other's identity address.
          const cb = a.registry.getBond(bId.bleIdentityAddress)!;
          const pb = b.registry.getBond(aId.bleIdentityAddress)!;
          assert.ok(cb && pb, `${label}: both bonds stored`);
          assert.equal(toHex(cb.irk!), toHex(bId.bleIrk), label);
          assert.equal(toHex(pb.irk!), toHex(aId.bleIrk), label);
          assert.equal(toHex(cb.csrk!), toHex(bId.bleCsrk), label);
          assert.equal(toHex(pb.csrk!), toHex(aId.bleCsrk), label);
          assert.equal(cb.secureConnections, sc);
          assert.equal(cb.authenticated, cr.authenticated);
          if (sc) {
            assert.equal(toHex(cb.ltk!), toHex(pb.ltk!), `${label}: same LTK stored`);
          } else {
            // Legacy: the LTK the peripheral handed out is what the central stores, and vice versa.
            assert.equal(toHex(cb.ltk!), toHex(pb.localLtk!), label);
            assert.equal(cb.ediv, pb.localEdiv, label);
            assert.equal(toHex(pb.ltk!), toHex(cb.localLtk!), label);
          }
          assert.ok(cm.isPaired(bId.bleIdentityAddress) && pm.isPaired(aId.bleIdentityAddress));
          await cl.disconnect();
          cm.close();
          pm.close();
        }
      }
    }
  });
}
