// A real device for in-process flow tests: its own home and SQLite registry, a libp2p node on
// loopback, and a BLE radio on a ble-sim controller (our HCI host + SMP).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromPacketPort } from '@pairkit/hci';
import { DeviceRegistry } from '@pairkit/registry';
import { createPairkitNode, type PairkitLibp2p } from '@pairkit/net';
import { SimTransport, type SimAir } from '@pairkit/ble-sim';
import { HciBleRadio } from '../../src/index.js';

export interface TestDevice {
  home: string;
  registry: DeviceRegistry;
  node: PairkitLibp2p;
  radio: HciBleRadio;
  stop(): Promise<void>;
}

export async function makeDevice(air: SimAir, name: string): Promise<TestDevice> {
  const home = mkdtempSync(path.join(tmpdir(), `pairkit-boot-${name}-`));
  const registry = DeviceRegistry.openSync({ home, env: {} });
  registry.setName(name);
  const node = await createPairkitNode({ identity: registry.identity(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
  const radio = await HciBleRadio.open(fromPacketPort(new SimTransport(air.createController())), { registry });
  let stopped = false;
  return {
    home,
    registry,
    node,
    radio,
    async stop() {
      if (stopped) return;
      stopped = true;
      await radio.close().catch(() => {});
      await node.stop();
      registry.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
