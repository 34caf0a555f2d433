import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceRegistry } from '@pairkit/registry';
import { createPairkitNode, type PairkitLibp2p, type PairkitNodeOptions } from '../../src/node.js';
import { PairingService, type PairingServiceOptions } from '../../src/service.js';

/** A real device: its own home, SQLite registry, libp2p node on loopback and pairing service. */
export interface TestDevice {
  home: string;
  registry: DeviceRegistry;
  node: PairkitLibp2p;
  service: PairingService;
  addr: string;
  stop(): Promise<void>;
}

export async function makeDevice(
  name: string,
  opts: Partial<Omit<PairkitNodeOptions, 'identity'>> & { service?: Partial<PairingServiceOptions> } = {}
): Promise<TestDevice> {
  const home = mkdtempSync(path.join(tmpdir(), `pairkit-net-${name}-`));
  const registry = DeviceRegistry.openSync({ home, env: {} });
  registry.setName(name);
  const node = await createPairkitNode({ identity: registry.identity(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, ...opts });
  const service = new PairingService({ node, registry, ...opts.service });
  await service.start();
  let stopped = false;
  return {
    home,
    registry,
    node,
    service,
    addr: node.getMultiaddrs()[0].toString(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await service.close();
      await node.stop();
      registry.close();
      rmSync(home, { recursive: true, force: true });
    }
  };
}

/** How a joiner dials `d` directly (no DHT, no mDNS). */
export function peerOf(d: { node: PairkitLibp2p }): { id: PairkitLibp2p['peerId']; multiaddrs: ReturnType<PairkitLibp2p['getMultiaddrs']> } {
  return { id: d.node.peerId, multiaddrs: d.node.getMultiaddrs() };
}

/** Pairs two devices with the real protocol over a direct loopback dial; both registries hold each other. */
export async function pairDirect(initiator: TestDevice, joiner: TestDevice): Promise<void> {
  const { code, result } = initiator.service.initiate({ dht: false });
  await joiner.service.join(code, { peers: [peerOf(initiator)], mdns: false, dht: false });
  await result;
}
