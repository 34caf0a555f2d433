// The full 5x5 IO capability matrix between two cores, SC and legacy, MITM on and off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../src/bytes.js';
import { IoCapability, IO_CAPABILITY_NAMES, type IoCapabilityValue } from '../src/index.js';
import { wire } from './helpers/wire.js';
import { pairOptions } from './helpers/keys.js';

const IOS: IoCapabilityValue[] = [0, 1, 2, 3, 4];
// Vol 3 Part H tables 2.7 (legacy) and 2.8 (SC), initiator rows x responder columns in the order
// DisplayOnly, DisplayYesNo, KeyboardOnly, NoInputNoOutput, KeyboardDisplay.
// jw: Just Works; nc: Numeric Comparison; pi: passkey shown by the initiator, typed on the
// responder; pr: shown by the responder, typed on the initiator; pb: both type.
const SC_TABLE = `
jw jw pi jw pi
jw nc pi jw nc
pr pr pb jw pr
jw jw jw jw jw
pr nc pi jw nc`;
const LEGACY_TABLE = `
jw jw pi jw pi
jw jw pi jw pi
pr pr pb jw pr
jw jw jw jw jw
pr pr pi jw pi`;
const parse = (t: string) => t.trim().split('\n').map((l) => l.trim().split(/\s+/));

for (const sc of [true, false]) {
  for (const mitm of [true, false]) {
    test(`5x5 IO matrix, ${sc ? 'LE Secure Connections' : 'legacy'}, MITM ${mitm ? 'on' : 'off'}`, () => {
      const table = parse(sc ? SC_TABLE : LEGACY_TABLE);
      for (const ci of IOS) {
        for (const pi of IOS) {
          const label = `${IO_CAPABILITY_NAMES[ci]} -> ${IO_CAPABILITY_NAMES[pi]}`;
          const [co, po] = pairOptions({ ioCapability: ci, mitm, secureConnections: sc }, { ioCapability: pi, mitm: false, secureConnections: sc });
          const { central, peripheral } = wire(co, po);
          assert.equal(central.error, undefined, `${label}: central failed ${central.error?.message}`);
          assert.equal(peripheral.error, undefined, `${label}: peripheral failed ${peripheral.error?.message}`);
          const cr = central.result!;
          const pr = peripheral.result!;
          assert.ok(cr && pr, `${label}: both complete`);
          const cell = mitm ? table[ci][pi] : 'jw';
          const model = { jw: 'JustWorks', nc: 'NumericComparison', pi: 'PasskeyEntry', pr: 'PasskeyEntry', pb: 'PasskeyEntry' }[cell];
          assert.equal(cr.model, model, label);
          assert.equal(pr.model, model, label);
          assert.equal(cr.secureConnections, sc, label);
          assert.equal(cr.authenticated, cell !== 'jw', label);
          assert.equal(cr.securityLevel, cell === 'jw' ? 2 : sc ? 4 : 3, label);
          // Who saw what: the UI actions match the table.
          assert.equal(central.displayed !== undefined, cell === 'pi', `${label}: central displays`);
          assert.equal(peripheral.displayed !== undefined, cell === 'pr', `${label}: peripheral displays`);
          assert.equal(central.actions.some((a) => a.type === 'passkeyRequest'), cell === 'pr' || cell === 'pb', `${label}: central types`);
          assert.equal(peripheral.actions.some((a) => a.type === 'passkeyRequest'), cell === 'pi' || cell === 'pb', `${label}: peripheral types`);
          if (cell === 'nc') {
            assert.match(central.compared!, /^\d{6}$/);
            assert.equal(central.compared, peripheral.compared, `${label}: same six digits`);
          } else {
            assert.equal(central.compared, undefined);
          }
          // The link was encrypted with one key on both sides.
          assert.ok(central.encryptedWith && peripheral.encryptedWith, `${label}: encrypted`);
          assert.equal(toHex(cr.ltk), toHex(pr.ltk), `${label}: same ${sc ? 'LTK' : 'STK'}`);
          // Keys distributed both ways, as each side sent them.
          assert.equal(toHex(cr.peerKeys.irk!), toHex(po.localKeys!.irk!), label);
          assert.deepEqual(cr.peerKeys.identityAddress, po.localKeys!.identityAddress, label);
          assert.equal(toHex(cr.peerKeys.csrk!), toHex(po.localKeys!.csrk!), label);
          assert.equal(toHex(pr.peerKeys.irk!), toHex(co.localKeys!.irk!), label);
          assert.deepEqual(pr.peerKeys.identityAddress, co.localKeys!.identityAddress, label);
          assert.equal(toHex(pr.peerKeys.csrk!), toHex(co.localKeys!.csrk!), label);
          if (sc) {
            assert.equal(cr.peerKeys.ltk, undefined, `${label}: SC distributes no LTK`);
            assert.equal(pr.peerKeys.ltk, undefined, label);
          } else {
            // Legacy: each side's distributed LTK/EDIV/Rand arrives intact.
            assert.equal(toHex(cr.peerKeys.ltk!), toHex(pr.localKeys.ltk!), label);
            assert.equal(cr.peerKeys.ediv, pr.localKeys.ediv, label);
            assert.equal(toHex(cr.peerKeys.rand!), toHex(pr.localKeys.rand!), label);
            assert.equal(toHex(pr.peerKeys.ltk!), toHex(cr.localKeys.ltk!), label);
          }
          assert.ok(cr.bonded && pr.bonded);
        }
      }
    });
  }
}

test('MITM bit on the responder alone also selects from the IO table', () => {
  const [co, po] = pairOptions({ ioCapability: IoCapability.KeyboardDisplay }, { ioCapability: IoCapability.DisplayOnly, mitm: true });
  const { central, peripheral } = wire(co, po);
  assert.equal(central.result?.model, 'PasskeyEntry');
  assert.ok(peripheral.displayed);
  assert.equal(central.result?.authenticated, true);
});
