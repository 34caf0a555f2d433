// Figures for issue 3 (printed, never asserted): join-to-paired latency, mDNS discovery time,
// DHT rendezvous on a 20-node network, pairings/s against 100 concurrent joiners, memory per session.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setMaxListeners } from 'node:events';
import { DeviceRegistry } from '@pairkit/registry';
import { createPairkitNode, announceSession, findSessionProviders, rendezvousCid, PairingService, type JoinOptions, type PairkitLibp2p } from '../src/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const LOOP = ['/ip4/127.0.0.1/tcp/0'];
const dirs: string[] = [];
const nodes: PairkitLibp2p[] = [];
const services: PairingService[] = [];
const registries: DeviceRegistry[] = [];

interface Device {
  registry: DeviceRegistry;
  node: PairkitLibp2p;
  service: PairingService;
}

async function device(name: string, opts: Partial<Parameters<typeof createPairkitNode>[0]> = {}): Promise<Device> {
  const home = mkdtempSync(path.join(tmpdir(), `pairkit-bench-${name}-`));
  dirs.push(home);
  const registry = DeviceRegistry.openSync({ home, env: {} });
  registry.setName(name);
  registries.push(registry);
  const node = await createPairkitNode({ identity: registry.identity(), listen: LOOP, mdns: false, ...opts });
  nodes.push(node);
  const service = new PairingService({ node, registry });
  await service.start();
  services.push(service);
  return { registry, node, service };
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const ms = (v: number): string => `${v.toFixed(1)} ms`;
const peer = (d: Device) => ({ id: d.node.peerId, multiaddrs: d.node.getMultiaddrs() });

async function latency(): Promise<void> {
  // 50 back-to-back connections from 127.0.0.1 would hit the per-host limit (5/s) and measure
  // the joiner's retry backoff instead of pairing.
  const a = await device('lat-a', { mdns: true, inboundConnectionThreshold: 1000 });
  const b = await device('lat-b', { mdns: true, mdnsIntervalMs: 1000 });
  const variants: [string, JoinOptions][] = [
    ['mDNS rendezvous + protocol', { mdns: true, dht: false }],
    ['protocol only (address known)', { mdns: false, dht: false, peers: [peer(a)] }]
  ];
  for (const [label, opts] of variants) {
    const samples: number[] = [];
    for (let i = 0; i < 50; i++) {
      const { code, result } = a.service.initiate({ dht: false });
      const t = performance.now();
      await b.service.join(code, { ...opts, timeoutMs: 30_000 });
      samples.push(performance.now() - t);
      await result;
      await b.node.hangUp(a.node.peerId); // each join starts without a connection
    }
    console.log(`join-to-paired, ${label}, 50 pairings: p50 ${ms(pct(samples, 50))}, p95 ${ms(pct(samples, 95))}, max ${ms(Math.max(...samples))}`);
  }
}

async function mdnsDiscovery(): Promise<void> {
  const target = await device('mdns-target', { mdns: true });
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const n = await device(`mdns-${i}`, { mdns: true });
    await new Promise<void>((resolve) => {
      const onPeer = (e: CustomEvent<{ id: { equals(x: unknown): boolean } }>): void => {
        if (!e.detail.id.equals(target.node.peerId)) return;
        n.node.services.mdns!.removeEventListener('peer', onPeer as never);
        resolve();
      };
      n.node.services.mdns!.addEventListener('peer', onPeer as never);
    });
    samples.push(performance.now() - t);
  }
  console.log(`mDNS discovery (node start to peer found), 10 runs: p50 ${ms(pct(samples, 50))}, max ${ms(Math.max(...samples))}`);
}

async function dhtRendezvous(): Promise<void> {
  const net: PairkitLibp2p[] = [];
  for (let i = 0; i < 20; i++) {
    const d = await device(`dht-${i}`, { bootstrap: net.length > 0 ? [net[net.length - 1].getMultiaddrs()[0].toString()] : [] });
    net.push(d.node);
  }
  const a = await device('dht-init', { bootstrap: [net[0].getMultiaddrs()[0].toString()] });
  const b = await device('dht-join', { bootstrap: [net[19].getMultiaddrs()[0].toString()] });
  const found: number[] = [];
  for (let i = 0; i < 5; i++) {
    const cid = await rendezvousCid(crypto.getRandomValues(new Uint8Array(32)));
    const stop = new AbortController();
    const t = performance.now();
    const announcing = announceSession(a.node, cid, { signal: stop.signal });
    for await (const p of findSessionProviders(b.node, cid, { signal: AbortSignal.timeout(60_000) })) {
      if (p.id.equals(a.node.peerId)) break;
    }
    found.push(performance.now() - t);
    stop.abort();
    await announcing;
  }
  const joins: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { code, result } = a.service.initiate({});
    const t = performance.now();
    await b.service.join(code, { mdns: false, timeoutMs: 60_000 });
    joins.push(performance.now() - t);
    await result;
    await b.node.hangUp(a.node.peerId);
  }
  console.log(`DHT rendezvous, 20-node chain network: provide-to-found p50 ${ms(pct(found, 50))} (5 runs, max ${ms(Math.max(...found))}); full DHT join p50 ${ms(pct(joins, 50))} (3 runs)`);
}

async function throughput(): Promise<void> {
  // The initiator's per-host connection limit (5/s by default) would measure the rate limiter,
  // not pairing, since all joiners share 127.0.0.1.
  const a = await device('tp-init', { inboundConnectionThreshold: 1000, maxIncomingPendingConnections: 200 });
  const joiners: Device[] = [];
  for (let i = 0; i < 100; i += 10) joiners.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => device(`tp-j${i + k}`)))));
  const sessions = joiners.map(() => a.service.initiate({ dht: false }));
  const t = performance.now();
  const results = await Promise.allSettled(joiners.map((j, i) => j.service.join(sessions[i].code, { peers: [peer(a)], mdns: false, dht: false, timeoutMs: 120_000 })));
  await Promise.allSettled(sessions.map((s) => s.result));
  const secs = (performance.now() - t) / 1000;
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { code?: string }).code ?? (r.reason as Error).message)] : []));
  if (errors.length > 0) console.log('  joiner failures:', errors.join(', '));
  console.log(`one initiator vs 100 concurrent joiners: ${ok}/100 paired in ${secs.toFixed(2)} s = ${(ok / secs).toFixed(1)} pairings/s (initiator registry: ${a.registry.list().length} devices)`);
}

async function memory(): Promise<void> {
  const a = await device('mem');
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  gc();
  const before = process.memoryUsage().heapUsed;
  const N = 2000;
  for (let i = 0; i < N; i++) a.service.initiate({ dht: false, signal: ac.signal }).result.catch(() => {});
  gc();
  const after = process.memoryUsage().heapUsed;
  console.log(`memory per open session: ${((after - before) / N / 1024).toFixed(2)} KiB (heap delta over ${N} sessions)`);
  ac.abort();
}

async function main(): Promise<void> {
  console.log('@pairkit/net bench (loopback, in-process nodes, real SQLite registries)');
  try {
    // `npm run bench -- throughput` runs one part.
    const only = process.argv[2];
    const parts: [string, () => Promise<void>][] = [
      ['latency', latency],
      ['mdns', mdnsDiscovery],
      ['dht', dhtRendezvous],
      ['throughput', throughput],
      ['memory', memory]
    ];
    for (const [name, run] of parts) if (only === undefined || only === name) await run();
  } finally {
    for (const s of services) await s.close();
    await Promise.all(nodes.map((n) => n.stop()));
    for (const r of registries) r.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
