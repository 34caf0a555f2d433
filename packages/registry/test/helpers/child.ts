// Runs in a separate process for the tests: opens a registry and reports as one JSON line.
//   node child.js open <home>          -> {"ok":true,"deviceId":...} or {"ok":false,"code":...}
//   node child.js write <home> <n> [barrierDir parties]
//        -> saves n pairings, one transaction each; with a barrier, starts writing only once
//           `parties` processes have opened the registry, so the writes really overlap
//   node child.js write-forever <home> -> saves pairings with bonds until killed
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeviceRegistry, RegistryError, randomStaticAddress } from '../../src/index.js';
import { bond, newPeer, record } from './fixtures.js';

const [cmd, home, n, barrier, parties] = process.argv.slice(2);
try {
  const reg = await DeviceRegistry.open({ home: home!, env: {}, busyTimeoutMs: Number(process.env.BUSY_MS ?? 10_000) });
  const deviceId = reg.identity().deviceId;
  let written = 0;
  if (barrier) {
    fs.writeFileSync(path.join(barrier, `ready-${process.pid}`), '');
    while (fs.readdirSync(barrier).length < Number(parties)) await sleep(5);
  }
  if (cmd === 'write') {
    for (let i = 0; i < Number(n); i++) {
      reg.savePairing(record(newPeer(), { name: `p${process.pid}-${i}` }));
      written++;
    }
  }
  if (cmd === 'write-forever') {
    for (;;) reg.savePairing(record(newPeer(), { method: 'both', bond: bond(randomStaticAddress()) }));
  }
  reg.close();
  process.stdout.write(JSON.stringify({ ok: true, deviceId, written }) + '\n');
} catch (err) {
  const e = err as RegistryError;
  process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message, hint: e.hint }) + '\n');
  process.exitCode = 1;
}
