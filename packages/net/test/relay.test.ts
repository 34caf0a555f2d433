// Circuit relay v2: an initiator reachable only through a relay (`pair node` style) still pairs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeDevice, type TestDevice } from './helpers/device.js';

const devices: TestDevice[] = [];
after(async () => {
  for (const d of devices.reverse()) await d.stop();
});

test('a joiner pairs with an initiator that only listens through a circuit relay', async () => {
  const relay = await makeDevice('relay', { relayServer: true });
  devices.push(relay);
  // No direct listen address: reachable only via a reservation on the relay.
  const alice = await makeDevice('alice', { listen: [], relayListen: true, bootstrap: [relay.addr] });
  devices.push(alice);
  const deadline = Date.now() + 20_000;
  while (!alice.node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const circuit = alice.node.getMultiaddrs().filter((a) => a.toString().includes('/p2p-circuit'));
  assert.ok(circuit.length > 0, 'alice holds a relay reservation');
  assert.ok(alice.node.getMultiaddrs().every((a) => a.toString().includes('/p2p-circuit')), 'and no direct address');

  const bob = await makeDevice('bob');
  devices.push(bob);
  const { code, result } = alice.service.initiate({ dht: false });
  const paired = await bob.service.join(code, { peers: [{ id: alice.node.peerId, multiaddrs: circuit }], mdns: false, dht: false, timeoutMs: 30_000 });
  await result;
  assert.equal(paired.peerId, alice.node.peerId.toString());
  const conns = bob.node.getConnections(alice.node.peerId);
  assert.ok(conns.some((c) => c.remoteAddr.toString().includes('/p2p-circuit')), 'the pairing ran over the relayed connection');
  assert.ok(alice.registry.get(bob.registry.identity().deviceId)?.sessionKeys);
});
