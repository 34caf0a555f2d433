// kill -9 of either side at random points of the protocol, 20+ times: each registry holds
// nothing or a complete entry, and the next pairing works.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceRegistry } from '@pairkit/registry';
import { Homes, LOOPBACK, Procs, runPair, type PairProcess } from './helpers/cli.js';
import { assertCompleteEntry, assertPairedBothWays, devicesIn } from './helpers/registry.js';

const homes = new Homes();
const procs = new Procs();
after(async () => {
  await procs.cleanup();
  homes.cleanup();
});

const ROUNDS = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function named(name: string): string {
  const h = homes.make(`pairkit-e2e-${name}-`);
  const r = DeviceRegistry.openSync({ home: h, env: {} });
  r.setName(name);
  r.close();
  return h;
}

/** Resolves when the process logs that a pairing conversation opened (debug output on stderr). */
function conversationOpened(p: PairProcess): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (p.stderr.some((l) => /conversation c\d+ \((initiator|joiner)\) opened/.test(l))) {
        clearInterval(check);
        resolve();
      }
    }, 2);
    void p.exited.then(() => {
      clearInterval(check);
      resolve();
    });
  });
}

/** Each registry: nothing, or one complete entry for the other device. */
function assertNothingOrComplete(home: string, other: string): 'empty' | 'complete' {
  const list = devicesIn(home);
  if (list.length === 0) return 'empty';
  assertCompleteEntry(home, other);
  return 'complete';
}

test(`kill -9 of either side at random points, ${ROUNDS} times: nothing or a complete entry, then pairing works`, async () => {
  const a = named('killa');
  const b = named('killb');
  const stats: Record<string, number> = {};
  const count = (k: string): void => {
    stats[k] = (stats[k] ?? 0) + 1;
  };
  for (let round = 0; round < ROUNDS; round++) {
    const env = { DEBUG: 'pairkit:pairing' };
    const init = procs.add(runPair(a, ['initiate', '--json', '--timeout', '1m', ...LOOPBACK], env));
    const words = String((await init.waitFor('code')).words);
    const join = procs.add(runPair(b, ['join', words, '--json', '--timeout', '20s', ...LOOPBACK], env));
    const victim = Math.random() < 0.5 ? init : join;
    const survivor = victim === init ? join : init;
    // Half the rounds kill at a random time after the joiner starts; half a few ms after a
    // pairing conversation opened, which lands inside the protocol (proofs, commit, ack).
    if (round % 2 === 0) {
      await sleep(Math.random() * 1500);
    } else {
      await conversationOpened(victim);
      await sleep(Math.random() * 25);
    }
    victim.kill('SIGKILL');
    await victim.exited;
    // The survivor gets a moment to finish what it can, then is killed too.
    await Promise.race([survivor.exited, sleep(Math.random() * 1000)]);
    survivor.kill('SIGKILL');
    await survivor.exited;
    const sa = assertNothingOrComplete(a, b);
    const sb = assertNothingOrComplete(b, a);
    count(`${victim === init ? 'initiator' : 'joiner'} killed: a=${sa} b=${sb}`);
    // Start each round from scratch so a partial state cannot hide behind an older entry.
    for (const [home] of [[a], [b]]) {
      const r = DeviceRegistry.openSync({ home, env: {} });
      for (const d of r.list()) r.remove(d.deviceId);
      r.close();
    }
  }
  console.log('kill rounds', stats);

  // The next pairing works.
  const init = procs.add(runPair(a, ['initiate', '--json', ...LOOPBACK]));
  const words = String((await init.waitFor('code')).words);
  const join = procs.add(runPair(b, ['join', words, '--json', '--timeout', '60s', ...LOOPBACK]));
  await Promise.all([init.waitFor('paired', 60_000), join.waitFor('paired', 60_000)]);
  assert.equal(await init.exited, 0);
  assert.equal(await join.exited, 0);
  assertPairedBothWays(a, b);
});
