import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PairingProtocolError, type PairingAction, type PairingConversation } from '../src/index.js';
import { Link, makeDevice, makeHandler, wire } from './helpers/peers.js';

const alice = makeDevice('alice', 1);
const bob = makeDevice('bob', 2);
const ha = makeHandler(alice, { maxConversations: 100_000, maxConversationsPerSession: 100_000 });
const hb = makeHandler(bob, { maxConversations: 100_000 });

function pairLink(options: ConstructorParameters<typeof Link>[2] = {}): Link {
  const session = ha.createInitiatorSession({ now: 0 });
  const joiner = hb.startJoiner({ code: session.code, remotePeerId: alice.peerId, remotePublicKey: alice.publicKey, now: 0 });
  const initiator = ha.acceptInbound({ remotePeerId: bob.peerId, remotePublicKey: bob.publicKey, now: 0 });
  return new Link(joiner, initiator, options);
}

/** Checks the action contract: failures are typed and end with close; nothing follows a close. */
function checkActions(actions: PairingAction[]): void {
  const closeAt = actions.findIndex((a) => a.type === 'close');
  if (closeAt >= 0) assert.equal(closeAt, actions.length - 1);
  for (const a of actions) if (a.type === 'failed') assert.ok(a.error instanceof PairingProtocolError);
}

test('property: random bytes into a conversation in any state never throw', () => {
  // Conversations in each reachable state, by role and number of frames delivered first.
  const states: [role: 'initiator' | 'joiner', steps: number][] = [
    ['initiator', 0],
    ['initiator', 1],
    ['initiator', 3],
    ['joiner', 0],
    ['joiner', 2],
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...states),
      fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      ([role, steps], chunks, withHeader) => {
        const link = pairLink();
        link.step(steps);
        const conv: PairingConversation = role === 'initiator' ? link.initiator.conv : link.joiner.conv;
        for (const chunk of chunks) {
          // Half of the runs prefix a plausible length so that the body parser is reached.
          const bytes = withHeader ? Buffer.concat([Uint8Array.of(0, 0, 0, chunk.length), chunk]) : chunk;
          const actions = conv.receive(bytes, 0);
          checkActions(actions);
          assert.ok(!actions.some((a) => a.type === 'commit' || a.type === 'completed'));
        }
        checkActions(conv.tick(1e12));
        assert.notEqual(conv.state, 'completed');
      },
    ),
    { numRuns: 400 },
  );
});

test('property: any corrupted byte in any proof-bearing frame stops both commits', () => {
  const lengths = (() => {
    const l = pairLink().run();
    return [...l.joiner.sent, ...l.initiator.sent].map((f) => f.length);
  })();
  // Frame order in flight: Request(0), Challenge(1), Response(2), Complete(3), Ack(4).
  const order = [lengths[0], lengths[3], lengths[1], lengths[4]];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }).chain((i) => fc.tuple(fc.constant(i), fc.integer({ min: 0, max: order[i] - 1 }), fc.integer({ min: 1, max: 255 }))),
      ([index, pos, xor]) => {
        const link = pairLink({
          tamper: (f, _from, i) => {
            if (i !== index) return f;
            const g = Uint8Array.from(f);
            g[pos] ^= xor;
            return g;
          },
        }).run();
        // A corrupted length prefix leaves a side waiting for bytes that never come: time passes.
        for (const side of [link.joiner, link.initiator]) link.apply(side, side.conv.tick(1e12));
        link.run();
        assert.equal(link.joiner.registry.size, 0, `frame ${index} byte ${pos}`);
        assert.equal(link.initiator.registry.size, 0);
        assert.ok(link.joiner.failed instanceof PairingProtocolError);
        assert.ok(link.initiator.failed instanceof PairingProtocolError);
      },
    ),
    { numRuns: 300 },
  );
});

test('a valid MAC with a bad signature is BAD_SIGNATURE, in both directions', () => {
  for (const index of [2, 3]) {
    const link = pairLink({
      tamper: (f, _from, i) => {
        if (i !== index) return f;
        const g = Uint8Array.from(f);
        g[g.length - 1] ^= 0x01; // last byte of the signature
        return g;
      },
    }).run();
    const victim = index === 2 ? link.initiator : link.joiner;
    assert.equal(victim.failed?.code, 'BAD_SIGNATURE');
    assert.equal(link.joiner.registry.size + link.initiator.registry.size, 0);
  }
});

test('property: random chunking of a whole exchange always pairs', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), (chunk) => {
      const link = pairLink({ chunk }).run();
      assert.ok(link.joiner.completed && link.initiator.completed);
    }),
    { numRuns: 40 },
  );
  assert.ok(wire(...(() => {
    const session = ha.createInitiatorSession({ now: 0 });
    return [
      hb.startJoiner({ code: session.code, remotePeerId: alice.peerId, remotePublicKey: alice.publicKey, now: 0 }),
      ha.acceptInbound({ remotePeerId: bob.peerId, remotePublicKey: bob.publicKey, now: 0 }),
    ] as const;
  })()).initiator.completed);
});
