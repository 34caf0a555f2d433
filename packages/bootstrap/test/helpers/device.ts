// A real device for in-process flow tests: its own home and SQLite registry, a libp2p node on
// loopback, and a BLE radio on a ble-sim controller (our HCI host + SMP).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromPacketPort } from '@pairkit/hci';
import { DeviceRegistry } from '@pairkit/registry';
import { createPairkitNode, type PairkitLibp2p } from '@pairkit/net';
import { SimAir, SimTransport } from '@pairkit/ble-sim';
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

/** One device per name on a new simulated air; the test's after hooks close the air and stop them. */
export async function devicesOnAir<N extends string[]>(t: { after: (fn: () => unknown) => void }, ...names: N): Promise<{ [K in keyof N]: TestDevice }> {
  const air = new SimAir();
  t.after(() => air.close());
  const devices = await Promise.all(names.map((n) => makeDevice(air, n)));
  t.after(() => Promise.all(devices.map((d) => d.stop())));
  return devices as { [K in keyof N]: TestDevice };
}
