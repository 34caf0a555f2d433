// Property tests: whatever bytes arrive, in whatever state, the core answers with valid PDUs or
// nothing, never throws, and never completes a pairing on garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SmpCore, decodePdu, IoCapability as Io, type SmpAction } from '../src/index.js';
import { pairOptions } from './helpers/keys.js';

const configs = [
  [{}, {}],
  [{ ioCapability: Io.KeyboardOnly, mitm: true }, { ioCapability: Io.DisplayOnly, fixedPasskey: 111111 }],
  [{ secureConnections: false, ioCapability: Io.KeyboardOnly, mitm: true }, { ioCapability: Io.DisplayOnly, fixedPasskey: 222222 }],
] as const;

/** Runs a clean pairing for `steps` deliveries, then hands `garbage` to the next receiver. */
function run(config: number, steps: number, garbage: Uint8Array): { actions: SmpAction[]; core: SmpCore } {
  const [co, po] = pairOptions(configs[config][0], configs[config][1]);
  const c = new SmpCore({ ...co, role: 'central' });
  const p = new SmpCore({ ...po, role: 'peripheral' });
  const queue: { to: SmpCore; pdu: Uint8Array }[] = [];
  let t = 0;
  const take = (from: SmpCore, acts: SmpAction[]) => {
    for (const a of acts) {
      if (a.type === 'send') queue.push({ to: from === c ? p : c, pdu: a.pdu });
      if (a.type === 'passkeyRequest') take(from, from.passkeyEntered(config === 1 ? 111111 : 222222, ++t));
    }
  };
  take(c, c.start(t));
  for (let i = 0; i < steps && queue.length > 0; i++) {
    const m = queue.shift()!;
    take(m.to, m.to.receive(m.pdu, ++t));
  }
  const target = queue[0]?.to ?? p;
  return { actions: target.receive(garbage, ++t), core: target };
}

test('random PDUs at any point of a pairing: no throw, only valid PDUs sent, no completion', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 0x11 }),
      fc.uint8Array({ minLength: 0, maxLength: 70 }),
      (config, steps, code, body) => {
        const garbage = Uint8Array.from([code, ...body]);
        const { actions, core } = run(config, steps, garbage);
        for (const a of actions) {
          if (a.type === 'send') assert.doesNotThrow(() => decodePdu(a.pdu));
          // Only a well-formed key PDU that happens to be the last one due may complete a pairing.
          if (a.type === 'complete') assert.ok(code >= 0x06 && code <= 0x0a && body.length === [16, 10, 16, 7, 16][code - 6]);
          assert.notEqual(a.type, 'startEncryption');
        }
        const failed = actions.find((a) => a.type === 'failed');
        if (failed) assert.equal(core.state, 'failed');
      },
    ),
    { numRuns: 400 },
  );
});
