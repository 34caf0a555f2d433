import './polyfill.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { kadDHT, type KadDHT } from '@libp2p/kad-dht';
import { mdns } from '@libp2p/mdns';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { PeerDiscovery, PeerInfo, PrivateKey, Startable } from '@libp2p/interface';
import createDebug from 'debug';
import { NetError, abortError } from './errors.js';

const log = createDebug('pairkit:net:node');

/** Our own DHT protocol: pairkit nodes form a private Kademlia network, apart from IPFS Amino. */
export const DHT_PROTOCOL = '/pairkit/kad/1.0.0';
/** mDNS service tag: only pairkit nodes answer our LAN queries. */
export const MDNS_SERVICE_TAG = '_pairkit._udp.local';

/** The key material the node needs: the registry's LocalIdentity satisfies this. */
export interface NodeIdentity {
  peerId: string;
  /** Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array;
  /** Ed25519 seed, 32 bytes. */
  privateKey: Uint8Array;
}

export interface PairkitNodeOptions {
  identity: NodeIdentity;
  /** Multiaddrs to listen on; default one TCP port on every IPv4 interface. */
  listen?: string[];
  /** Multiaddrs (with /p2p/<id>) of DHT bootstrap nodes, dialed at start. */
  bootstrap?: string[];
  /** LAN discovery via mDNS; default true. */
  mdns?: boolean;
  /** mDNS query interval in ms (the first query is sent at start); default 10 s. */
  mdnsIntervalMs?: number;
  /** Run a circuit relay v2 server (for `pair node`). */
  relayServer?: boolean;
  /** Also listen through relays (for peers behind NAT): a reservation on each bootstrap node. */
  relayListen?: boolean;
  /** Inbound connections per second one host may open (libp2p default 5; 100 for relay servers). */
  inboundConnectionThreshold?: number;
  /** Inbound connections still in their handshake at once (libp2p default 10; 64 for relay servers). */
  maxIncomingPendingConnections?: number;
  signal?: AbortSignal;
}

export interface PairkitServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  dht: KadDHT;
  /** Present when mDNS is enabled. */
  mdns?: PeerDiscovery & Startable;
}

export type PairkitLibp2p = Libp2p<PairkitServices>;

/** Builds the libp2p private key from the registry's Ed25519 seed and public key. */
export function libp2pPrivateKey(identity: NodeIdentity): PrivateKey {
  if (identity.privateKey.length !== 32 || identity.publicKey.length !== 32) {
    throw new NetError('BAD_IDENTITY', 'identity needs a 32-byte Ed25519 seed and public key');
  }
  const raw = new Uint8Array(64);
  raw.set(identity.privateKey, 0);
  raw.set(identity.publicKey, 32);
  const key = privateKeyFromRaw(raw);
  const peerId = peerIdFromPrivateKey(key);
  if (peerId.toString() !== identity.peerId) {
    throw new NetError('BAD_IDENTITY', 'the identity key does not give the identity peer id');
  }
  return key;
}

export function parseMultiaddrs(addrs: string[], what: string): Multiaddr[] {
  return addrs.map((a) => {
    try {
      return multiaddr(a);
    } catch (err) {
      throw new NetError('BAD_MULTIADDR', `${what}: not a multiaddr: ${a}`, { cause: err });
    }
  });
}

// Keeps loopback and private addresses: pairkit runs on LANs and on one host, where the
// default mapper of the public DHT would leave peers unreachable.
const keepAllAddresses = (peer: PeerInfo): PeerInfo => peer;

/**
 * Creates and starts the pairkit libp2p node: TCP, Noise, Yamux, identify, ping, a private
 * kad-dht in server mode, optional mDNS, and circuit relay v2 (client always, server on demand).
 */
export async function createPairkitNode(opts: PairkitNodeOptions): Promise<PairkitLibp2p> {
  if (opts.signal?.aborted === true) throw abortError(opts.signal, 'createPairkitNode');
  const privateKey = libp2pPrivateKey(opts.identity);
  const listen = opts.listen ?? ['/ip4/0.0.0.0/tcp/0'];
  parseMultiaddrs(listen, 'listen');
  const bootstrap = parseMultiaddrs(opts.bootstrap ?? [], 'bootstrap');
  for (const ma of bootstrap) {
    if (ma.getComponents().findLast((c) => c.name === 'p2p') == null) {
      throw new NetError('BAD_MULTIADDR', `bootstrap address needs /p2p/<peer id>: ${ma.toString()}`);
    }
  }

  const services: Record<string, (components: any) => unknown> = {
    identify: identify(),
    ping: ping(),
    dht: kadDHT({
      protocol: DHT_PROTOCOL,
      clientMode: false,
      peerInfoMapper: keepAllAddresses,
      allowQueryWithZeroPeers: true
    })
  };
  if (opts.relayServer === true) {
    services.relay = circuitRelayServer({ reservations: { maxReservations: 256 } });
  }
  // mDNS as a service (not in peerDiscovery) so callers can tell mDNS peers from others and
  // restart it to send an active query.
  if (opts.mdns !== false) {
    services.mdns = mdns({ serviceTag: MDNS_SERVICE_TAG, interval: opts.mdnsIntervalMs ?? 10_000 });
  }

  const node = (await createLibp2p({
    privateKey,
    addresses: { listen: opts.relayListen === true ? [...listen, ...relayListenAddrs(bootstrap)] : listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services,
    connectionManager: {
      inboundConnectionThreshold: opts.inboundConnectionThreshold ?? (opts.relayServer === true ? 100 : 5),
      maxIncomingPendingConnections: opts.maxIncomingPendingConnections ?? (opts.relayServer === true ? 64 : 10)
    }
  })) as unknown as PairkitLibp2p;

  if (node.peerId.toString() !== opts.identity.peerId) {
    await node.stop();
    throw new NetError('BAD_IDENTITY', 'libp2p started with a different peer id');
  }
  log('started %s on %o', node.peerId.toString(), node.getMultiaddrs().map(String));

  if (bootstrap.length > 0) {
    await dialBootstrap(node, bootstrap, opts.signal);
  }
  return node;
}

/**
 * Reservations on the bootstrap nodes themselves (`pair node` is a relay): naming the relay avoids
 * libp2p's relay discovery by random walk, which spins while the routing table is empty.
 */
function relayListenAddrs(bootstrap: Multiaddr[]): string[] {
  return bootstrap.length > 0 ? bootstrap.map((b) => `${b.toString()}/p2p-circuit`) : ['/p2p-circuit'];
}

/** Dials the bootstrap nodes; one reachable node is enough, none is an error. */
export async function dialBootstrap(node: PairkitLibp2p, addrs: Multiaddr[], signal?: AbortSignal): Promise<void> {
  const results = await Promise.allSettled(
    addrs.map(async (ma) => {
      // A bootstrap node may turn us away for a moment (per-host connection rate limit).
      for (let attempt = 1; ; attempt++) {
        const s = AbortSignal.any([AbortSignal.timeout(10_000), ...(signal ? [signal] : [])]);
        try {
          await node.dial(ma, { signal: s });
          return;
        } catch (err) {
          if (attempt >= 3 || signal?.aborted === true || (err as Error).name === 'TimeoutError') throw err;
          log('bootstrap %s: %s; retrying', ma.toString(), (err as Error).message);
          await new Promise((r) => setTimeout(r, 400 * attempt));
        }
      }
    })
  );
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  log('bootstrap: %d of %d reachable', ok, addrs.length);
  if (ok > 0) await waitForRoutingTable(node, signal);
  if (ok === 0) {
    if (signal?.aborted === true) {
      await node.stop();
      throw abortError(signal, 'bootstrap');
    }
    await node.stop();
    const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    throw new NetError('UNREACHABLE', 'no bootstrap node reachable', { cause: first?.reason });
  }
}

/** The routing table fills asynchronously after identify; queries before that find nobody. */
async function waitForRoutingTable(node: PairkitLibp2p, signal?: AbortSignal, maxMs = 5_000): Promise<void> {
  const table = (node.services.dht as unknown as { routingTable?: { size: number } }).routingTable;
  if (table == null) return;
  const until = Date.now() + maxMs;
  while (table.size === 0 && Date.now() < until && signal?.aborted !== true) {
    await new Promise((r) => setTimeout(r, 50));
  }
  log('routing table: %d peers', table.size);
}
