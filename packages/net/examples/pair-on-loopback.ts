// Two devices pair over libp2p on loopback: the laptop shows a 12-word code, the phone types it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceRegistry } from '@pairkit/registry';
import { createPairkitNode, PairingService } from '@pairkit/net';

async function device(name: string, bootstrap: string[] = []) {
  const home = await mkdtemp(join(tmpdir(), `pairkit-${name}-`)); // keys and registry.db live here
  const registry = await DeviceRegistry.open({ home });
  registry.setName(name);
  const node = await createPairkitNode({ identity: registry.identity(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false });
  const pairing = new PairingService({ node, registry });
  await pairing.start();
  const close = async () => {
    await pairing.close();
    await node.stop();
    registry.close();
    await rm(home, { recursive: true, force: true });
  };
  return { registry, node, pairing, close };
}

const laptop = await device('laptop');
// The phone finds the laptop's session through the DHT; the laptop is its bootstrap node here.
const phone = await device('phone', [laptop.node.getMultiaddrs()[0].toString()]);

const { code, result } = laptop.pairing.initiate({ ttlMs: 5 * 60_000 });
// Show `code` on the laptop; the user types the 12 words on the phone.
const joined = phone.pairing.join(code, { signal: AbortSignal.timeout(60_000) });
const [onPhone, onLaptop] = await Promise.all([joined, result]);
console.log(`phone paired with ${onPhone.name}, shows ${onPhone.verification}`);
console.log(`laptop paired with ${onLaptop.name}, shows ${onLaptop.verification}`);
console.log(`laptop's devices: ${laptop.registry.list().map((d) => d.name).join(', ')}`);
await Promise.all([phone.close(), laptop.close()]);
