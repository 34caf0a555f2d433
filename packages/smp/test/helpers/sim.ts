// Two (or more) of our HCI hosts on one ble-sim air, each with its own registry in a temp home.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SimAir, SimTransport } from '@pairkit/ble-sim';
import { HciHost, fromPacketPort, type HciConnection } from '@pairkit/hci';
import { DeviceRegistry } from '@pairkit/registry';
import { SmpManager, type SmpManagerOptions, type SecurityManager, type PasskeyExchange } from '../../src/index.js';

export interface SimNode {
  host: HciHost;
  registry: DeviceRegistry;
  home: string;
}

export async function simAir(t: TestContext): Promise<SimAir> {
  const air = new SimAir();
  t.after(() => air.close());
  return air;
}

export async function simNode(t: TestContext, air: SimAir, name: string): Promise<SimNode> {
  const home = mkdtempSync(join(tmpdir(), `pairkit-smp-${name}-`));
  const registry = DeviceRegistry.openSync({ home });
  // Our host uses the registry's identity address, so bonded peers know us again.
  const host = new HciHost(fromPacketPort(new SimTransport(air.createController())), { address: registry.identity().bleIdentityAddress });
  t.after(async () => {
    await host.close();
    registry.close();
    rmSync(home, { recursive: true, force: true });
  });
  await host.init();
  return { host, registry, home };
}

/** Peripheral advertises, central connects; both links returned once up. */
export async function link(central: SimNode, peripheral: SimNode): Promise<[HciConnection, HciConnection]> {
  await peripheral.host.startAdvertising({});
  const [c, p] = await Promise.all([central.host.connect(peripheral.host.address, { addressType: 1, timeoutMs: 5000 }), peripheral.host.accept()]);
  return [c, p];
}

/**
 * Plays the users of two SecurityManagers: the typing side enters what the other side shows
 * (or one shared value when both type), comparisons are accepted unless told otherwise.
 */
export function playUsers(a: SecurityManager, b: SecurityManager, opts: { wrongPasskey?: boolean; reject?: SecurityManager } = {}): { shown: Map<SecurityManager, string> } {
  const shown = new Map<SecurityManager, string>();
  const waiting = new Map<SecurityManager, PasskeyExchange>();
  const shared = 123456;
  const answer = (me: SecurityManager, x: PasskeyExchange) => {
    const other = me === a ? b : a;
    const roles = me.core.model?.passkey;
    let value: number | undefined;
    if (roles === 'bothInput') value = shared;
    else if (shown.has(other)) value = Number(shown.get(other));
    if (value === undefined) {
      waiting.set(me, x);
      return;
    }
    x.respond(opts.wrongPasskey ? (value + 1) % 1_000_000 : value);
  };
  for (const me of [a, b]) {
    me.on('passkeyExchange', (x) => {
      if (x.model === 'NumericComparison') {
        shown.set(me, x.passkey!);
        x.respond(opts.reject !== me);
      } else if (x.input) {
        answer(me, x);
      } else {
        shown.set(me, x.passkey!);
        const other = me === a ? b : a;
        const w = waiting.get(other);
        if (w) {
          waiting.delete(other);
          answer(other, w);
        }
      }
    });
  }
  return { shown };
}

export function managerFor(node: SimNode, options: Omit<SmpManagerOptions, 'registry'>): SmpManager {
  return new SmpManager({ ...options, registry: node.registry });
}
