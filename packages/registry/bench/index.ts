// Registry figures: open, write and read costs on real files. Prints numbers, asserts nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { DeviceRegistry, peerIdFromEd25519PublicKey, type PairingRecord } from '../src/index.js';

const N = Number(process.env.BENCH_DEVICES ?? 1000);

function rec(i: number): PairingRecord {
  const publicKey = ed25519.getPublicKey(randomBytes(32));
  return {
    peerId: peerIdFromEd25519PublicKey(publicKey),
    publicKey,
    name: `device-${i}`,
    os: 'Linux',
    appVersion: '0.1.0',
    method: 'network',
    addresses: ['/ip4/127.0.0.1/tcp/4001'],
    sessionKeys: { tx: randomBytes(32), rx: randomBytes(32) },
  };
}

function time<T>(label: string, count: number, fn: () => T): T {
  const t0 = process.hrtime.bigint();
  const out = fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const per = count > 1 ? `  (${((ms * 1000) / count).toFixed(1)} µs each, ${Math.round((count * 1000) / ms)}/s)` : '';
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms${per}`);
  return out;
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pairkit-bench-'));
try {
  const records = Array.from({ length: N }, (_, i) => rec(i));
  const reg = time('open (new home: key file + schema)', 1, () => DeviceRegistry.openSync({ home }));
  const saved = time(`savePairing x${N} (one transaction each, FULL sync)`, N, () => records.map((r) => reg.savePairing(r)));
  time(`list() with ${N} devices`, 1, () => reg.list());
  time(`get() x${N}`, N, () => saved.forEach((d) => reg.get(d.deviceId)));
  time(`findByPeerId() x${N}`, N, () => saved.forEach((d) => reg.findByPeerId(d.peerId)));
  time(`resolve(10-char prefix) x100 over ${N}`, 100, () => saved.slice(0, 100).forEach((d) => reg.resolve(d.deviceId.slice(0, 10))));
  time(`touch() x${N}`, N, () => saved.forEach((d) => reg.touch(d.deviceId, { lastSeenAt: Date.now() })));
  reg.close();
  const again = time(`open (existing, ${N} devices, quick_check)`, 1, () => DeviceRegistry.openSync({ home }));
  again.close();
  const size = fs.statSync(path.join(home, 'registry.db')).size;
  console.log(`${'database size'.padEnd(44)} ${(size / 1024).toFixed(0).padStart(9)} KiB`);
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
