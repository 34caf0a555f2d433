import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { createPairkitNode } from '@pairkit/net';
import { DeviceRegistry } from '@pairkit/registry';
import { Pairkit, PairkitError, PairingCodeError, type DeviceChange, type PairingProgress } from '../src/index.js';
import { openDevice, pair, tempRoot } from './helpers/devices.js';

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, `expected ${code}, got ${String(err)}`);
    return err as Error & { code: string };
  }
  assert.fail(`expected a rejection with ${code}`);
}

describe('two paired devices on loopback', { timeout: 120_000 }, () => {
  let root: Awaited<ReturnType<typeof tempRoot>>;
  let a: Pairkit;
  let b: Pairkit;
  let aSeesB: string;
  let bSeesA: string;
  const progressA: PairingProgress[] = [];
  const progressB: PairingProgress[] = [];
  const changesB: DeviceChange[] = [];
  const stopWatch = new AbortController();
  let watching: Promise<void>;

  before(async () => {
    root = await tempRoot();
    a = await openDevice(root.root, 'alpha');
    b = await openDevice(root.root, 'beta', a.addresses);
    watching = (async () => {
      for await (const c of b.watchDevices({ signal: stopWatch.signal })) changesB.push(c);
    })();
    const invitation = a.initiatePairing({ ttlMs: 60_000 });
    invitation.on('progress', (p) => progressA.push(p));
    assert.equal(invitation.words.length, 12);
    const [ra, rb] = await Promise.all([
      invitation.paired,
      b.joinPairing(invitation.code.toUpperCase().replaceAll(' ', '  '), { onProgress: (p) => progressB.push(p), signal: AbortSignal.timeout(60_000) }),
    ]);
    aSeesB = ra.device.deviceId;
    bSeesA = rb.device.deviceId;
    assert.equal(ra.verification, rb.verification);
  });

  after(async () => {
    stopWatch.abort();
    await watching;
    await b?.close();
    await a?.close();
    await root?.cleanup();
  });

  test('each registry holds the other device, and progress was reported on both sides', () => {
    assert.equal(aSeesB, b.identity.deviceId);
    assert.equal(bSeesA, a.identity.deviceId);
    assert.deepEqual(a.devices().map((d) => d.name), ['beta']);
    assert.equal('sessionKeys' in a.devices()[0]!, false, 'device lists do not carry keys');
    assert.deepEqual(progressA.map((p) => p.stage).filter((s) => s !== 'attempt-failed'), ['waiting', 'verifying', 'paired']);
    assert.ok(progressB.some((p) => p.stage === 'discovering'));
    assert.equal(progressB.at(-1)!.stage, 'paired');
    assert.ok(changesB.some((c) => c.type === 'added' && c.device.deviceId === a.identity.deviceId));
    assert.equal(b.resolveDevice('alpha').deviceId, a.identity.deviceId);
    assert.equal(b.resolveDevice(a.identity.deviceId.slice(0, 6)).deviceId, a.identity.deviceId);
  });

  test('connect() reaches a paired device on its loopback address', async () => {
    const { remoteAddress } = await b.connect(bSeesA, { signal: AbortSignal.timeout(20_000) });
    assert.match(remoteAddress, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
  });

  test('session keys match in opposite directions and the AEAD helper works across devices', () => {
    const ka = a.sessionKeys(aSeesB);
    const kb = b.sessionKeys(bSeesA);
    assert.deepEqual(Buffer.from(ka.tx), Buffer.from(kb.rx));
    assert.deepEqual(Buffer.from(ka.rx), Buffer.from(kb.tx));
    assert.notDeepEqual(Buffer.from(ka.tx), Buffer.from(ka.rx));
    const s = a.sessionCipher(aSeesB, { context: 'test' }).sealer();
    const box = s.seal(Buffer.from('to beta'), { final: true });
    assert.equal(Buffer.from(b.sessionCipher(bSeesA, { context: 'test' }).opener(s.header).open(box)).toString(), 'to beta');
  });

  test('a channel carries bytes both ways, with backpressure, to a handler', async () => {
    const stop = await a.handle('/test/sum/1.0.0', async (channel) => {
      assert.equal(channel.device.deviceId, b.identity.deviceId);
      let total = 0;
      for await (const bytes of channel) total += bytes.length;
      await channel.write(Buffer.from(String(total)));
    });
    const ch = await b.openChannel(bSeesA, '/test/sum/1.0.0', { signal: AbortSignal.timeout(20_000) });
    const block = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < 64; i++) await ch.write(block);
    await ch.close(); // ends our writing side; the reply still comes back
    let reply = '';
    for await (const bytes of ch) reply += Buffer.from(bytes).toString();
    assert.equal(reply, String(64 * 64 * 1024));
    await stop();
  });

  test('a slow reader pauses the sender: unread data stays bounded and arrives intact', async () => {
    const total = 48 * 1024 * 1024;
    const stop = await a.handle('/test/firehose/1.0.0', async (channel) => {
      const block = Buffer.alloc(256 * 1024);
      for (let i = 0; i < total / block.length; i++) {
        block.fill(i & 0xff);
        await channel.write(Buffer.from(block));
      }
    });
    const ch = await b.openChannel(bSeesA, '/test/firehose/1.0.0');
    let got = 0;
    let maxUnread = 0;
    let paused = false;
    for await (const bytes of ch) {
      for (let i = 0; i < bytes.length; i += 4096) {
        assert.equal(bytes[i], Math.floor((got + i) / (256 * 1024)) & 0xff, `byte ${got + i}`);
      }
      got += bytes.length;
      maxUnread = Math.max(maxUnread, ch.readableLength);
      paused ||= ch.stream.readStatus === 'paused';
      await new Promise((r) => setTimeout(r, 2)); // a slow consumer
    }
    assert.equal(got, total);
    assert.ok(paused, 'the stream was paused while the reader lagged');
    assert.ok(maxUnread < 4 * 1024 * 1024, `at most ${maxUnread} unread bytes held`);
    await stop();
  });

  test('bad input is refused with typed errors', async () => {
    await rejectsWith(b.openChannel(bSeesA, 'no-slash'), 'BAD_PROTOCOL');
    await rejectsWith(b.openChannel(bSeesA, '/pairkit/pair/1.0.0'), 'BAD_PROTOCOL');
    await rejectsWith(b.openChannel('f'.repeat(20), '/test/x/1.0.0'), 'NOT_PAIRED');
    assert.throws(() => b.sessionKeys('nobody'), (e: PairkitError) => e.code === 'NOT_PAIRED');
    await assert.rejects(b.joinPairing('apple banana'), (e: PairingCodeError) => e instanceof PairingCodeError && e.code === 'WRONG_WORD_COUNT');
    const pre = AbortSignal.abort();
    await rejectsWith(b.openChannel(bSeesA, '/test/x/1.0.0', { signal: pre }), 'ABORTED');
  });

  test('a cancelled invitation rejects with ABORTED; an aborted join rejects with ABORTED', async () => {
    const inv = a.initiatePairing();
    inv.cancel();
    await rejectsWith(inv.paired, 'ABORTED');
    // a valid code nobody initiated: the join keeps looking until we abort it
    const ac = new AbortController();
    const joining = b.joinPairing(`${'abandon '.repeat(11)}about`, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const e = await joining.then(
      () => assert.fail('should not pair'),
      (err: { code?: string }) => err,
    );
    assert.equal(e.code, 'ABORTED');
  });
});

describe('removed and unpaired devices', { timeout: 120_000 }, () => {
  test('a removed device is refused on both sides and told; an unpaired one never gets a handler', async (t) => {
    const root = await tempRoot();
    t.after(root.cleanup);
    const a = await openDevice(root.root, 'hub');
    t.after(() => a.close());
    const b = await openDevice(root.root, 'kept', a.addresses);
    t.after(() => b.close());
    const c = await openDevice(root.root, 'dropped', a.addresses);
    t.after(() => c.close());
    await pair(a, b);
    const [onA] = await pair(a, c);
    let handled = 0;
    await a.handle('/test/hello/1.0.0', async (ch) => {
      handled++;
      await ch.write(Buffer.from('hi'));
    });
    // c can talk while paired
    const ok = await c.openChannel(a.identity.deviceId, '/test/hello/1.0.0');
    for await (const _ of ok) break;
    assert.equal(handled, 1);

    // a removes c without telling it: c still has a, but a refuses c's channels
    const refused = once(a, 'refused');
    const removed = await a.removeDevice(onA.device.deviceId, { notify: false });
    assert.equal(removed.notified, false);
    const e = await rejectsWith(c.openChannel(a.identity.deviceId, '/test/hello/1.0.0'), 'PEER_NOT_PAIRED');
    assert.match(e.message, /hub/);
    const [info] = (await refused) as [{ peerId: string; protocol: string }];
    assert.deepEqual(info, { peerId: c.identity.peerId, protocol: '/test/hello/1.0.0' });
    assert.equal(handled, 1, 'the handler never ran for the removed device');
    // and a will not open channels to c any more
    await rejectsWith(a.openChannel(c.identity.deviceId, '/test/hello/1.0.0'), 'DEVICE_REMOVED');
    await rejectsWith(a.connect(c.identity.deviceId), 'DEVICE_REMOVED');
    // b, still paired, is unaffected
    assert.deepEqual(a.devices().map((d) => d.name), ['kept']);
    const chB = await b.openChannel(a.identity.deviceId, '/test/hello/1.0.0');
    for await (const _ of chB) break;
    assert.equal(handled, 2);

    // removing b with notify tells b, which drops a too
    const gone = once(b, 'removed-by-peer');
    const r = await a.removeDevice('kept');
    assert.equal(r.notified, true);
    const [who] = (await gone) as [{ deviceId: string }];
    assert.equal(who.deviceId, a.identity.deviceId);
    assert.deepEqual(b.devices(), []);
    await rejectsWith(b.openChannel(a.identity.deviceId, '/test/hello/1.0.0'), 'DEVICE_REMOVED');
  });

  test('a stranger dialing a protocol directly with libp2p is refused before the handler runs', async (t) => {
    const root = await tempRoot();
    t.after(root.cleanup);
    const a = await openDevice(root.root, 'host');
    t.after(() => a.close());
    let handled = 0;
    await a.handle('/test/secret/1.0.0', async (ch) => {
      handled++;
      await ch.write(Buffer.from('secret'));
    });
    // an outsider with its own identity and a bare libp2p node: no pairkit facade involved
    const strangerRegistry = await DeviceRegistry.open({ home: join(root.root, 'stranger') });
    t.after(() => strangerRegistry.close());
    const node = await createPairkitNode({ identity: strangerRegistry.identity(), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false });
    t.after(() => node.stop());
    const refused = once(a, 'refused');
    const stream = await node.dialProtocol(multiaddr(a.addresses[0]!), '/test/secret/1.0.0');
    // Read one status frame (varint length + JSON). Not "until the end": the refusal may close
    // the stream before this iterator starts, and a late libp2p iterator never sees that end.
    let reply = Buffer.alloc(0);
    for await (const chunk of stream) {
      reply = Buffer.concat([reply, Buffer.from(chunk.subarray())]);
      if (reply.length > 1 && reply.length >= 1 + reply[0]!) break;
    }
    reply = reply.subarray(1);
    assert.match(reply.toString(), /"ok":false/);
    assert.match(reply.toString(), /NOT_PAIRED/);
    assert.doesNotMatch(reply.toString(), /secret"/);
    const [info] = (await refused) as [{ peerId: string }];
    assert.equal(info.peerId, strangerRegistry.identity().peerId);
    assert.equal(handled, 0);
  });

  test('a closed device refuses calls with CLOSED', async (t) => {
    const root = await tempRoot();
    t.after(root.cleanup);
    const a = await openDevice(root.root, 'solo');
    await a.close();
    await a.close();
    assert.throws(() => a.devices(), (e: PairkitError) => e.code === 'CLOSED');
    await rejectsWith(a.openChannel('x', '/a/1'), 'CLOSED');
  });
});

test('watchDevices also reports what another process does on the same home (a pairing saved, then removed)', { timeout: 60_000 }, async (t) => {
  const root = await tempRoot();
  t.after(root.cleanup);
  const app = await openDevice(root.root, 'app');
  t.after(() => app.close());
  const home = join(root.root, 'app');
  const stop = new AbortController();
  const seen: DeviceChange[] = [];
  let notify: (() => void) | undefined;
  // The loop's first next() runs the generator up to its first wait at once: it listens from here.
  const watching = (async () => {
    for await (const c of app.watchDevices({ signal: stop.signal, intervalMs: 50 })) {
      seen.push(c);
      notify?.();
    }
  })();
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise<void>((r) => (notify = r));
  };
  // Like `pair` in a terminal beside the app: a separate process writes to the same registry.
  const other = async (script: string): Promise<string> => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    return out.trim();
  };
  const registryUrl = import.meta.resolve('@pairkit/registry');
  const deviceId = await other(`
    import { generateKeyPairSync } from 'node:crypto';
    import { DeviceRegistry, peerIdFromEd25519PublicKey } from ${JSON.stringify(registryUrl)};
    const pub = new Uint8Array(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
    const reg = await DeviceRegistry.open({ home: ${JSON.stringify(home)} });
    const d = reg.savePairing({ peerId: peerIdFromEd25519PublicKey(pub), publicKey: pub, name: 'tablet', os: 'Linux', appVersion: '0.1.0', method: 'network' });
    reg.close();
    console.log(d.deviceId);
  `);
  await until(() => seen.some((c) => c.type === 'added'));
  const added = seen.find((c) => c.type === 'added') as Extract<DeviceChange, { type: 'added' }>;
  assert.equal(added.device.deviceId, deviceId);
  assert.equal(added.device.name, 'tablet');
  await other(`
    import { DeviceRegistry } from ${JSON.stringify(registryUrl)};
    const reg = await DeviceRegistry.open({ home: ${JSON.stringify(home)} });
    reg.remove(${JSON.stringify(deviceId)});
    reg.close();
  `);
  await until(() => seen.some((c) => c.type === 'removed'));
  assert.deepEqual(seen.at(-1), { type: 'removed', deviceId });
  stop.abort();
  await watching;
});
