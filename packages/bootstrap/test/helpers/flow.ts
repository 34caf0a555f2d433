// Waiting on a handover flow's events in the in-process tests.
import assert from 'node:assert/strict';
import type { BleHandoverInitiator } from '../../src/index.js';

/** Resolves when the initiator advertises for the `n`th time; rejects if its run ends first. */
export function advertisingAgain(ini: BleHandoverInitiator, n: number, run: Promise<unknown>): Promise<void> {
  const again = new Promise<void>((resolve) => ini.on('advertising', (e) => e.attempt === n && resolve()));
  return Promise.race([again, run.then(() => assert.fail(`the run ended before advertising #${n}`))]);
}
