// Property-based fuzzing of every decoder that sees bytes from outside: only typed HciErrors,
// never another exception, never a hang. 50,000 cases each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  H4Deframer,
  HciConnection,
  HciError,
  L2capReassembler,
  buildEvent,
  decodeAcl,
  decodeEvent,
  decodePacket,
  decodeSignaling,
  encodeAcl,
  encodeSignaling,
  parseAd,
  parseCommand,
  type ConnectionHost,
  type SignalingCommand,
} from '../src/index.js';

const RUNS = 50_000;
const opts = { numRuns: RUNS };

function typedOnly<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof HciError)) throw e;
    assert.equal(typeof e.code, 'string');
    return undefined;
  }
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));

test('fuzz: H4 deframer on arbitrary chunks yields well-formed packets and typed errors', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.array(bytes(80), { maxLength: 8 }), fc.boolean(), (chunks, close) => {
      const d = new H4Deframer({ maxPayload: 300, onError: close ? 'close' : 'resync' });
      for (const c of chunks) {
        const r = d.push(c);
        for (const e of r.errors) assert.ok(e instanceof HciError);
        for (const p of r.packets) decodePacket(p); // declared length matches exactly
      }
      assert.ok(d.buffered <= 80 * 8);
    }),
    opts,
  );
});

test('fuzz: H4 deframer finds valid packets after garbage when resyncing', { timeout: 60_000 }, () => {
  const event = buildEvent('Disconnection_Complete', { status: 0, connectionHandle: 1, reason: 0x13 });
  fc.assert(
    fc.property(bytes(40).map((b) => b.map((x) => (x >= 1 && x <= 5 ? 0xff : x))), fc.integer({ min: 1, max: 30 }), (garbage, cut) => {
      const d = new H4Deframer();
      const stream = Buffer.concat([garbage, event]);
      const got = [...d.push(stream.subarray(0, cut)).packets, ...d.push(stream.subarray(cut)).packets];
      assert.deepEqual(got, [event]);
    }),
    opts,
  );
});

const eventCodes = fc.oneof(fc.constantFrom(0x05, 0x08, 0x0c, 0x0e, 0x0f, 0x10, 0x13, 0x1a, 0x30, 0x3e, 0x57, 0x59), fc.integer({ min: 0, max: 255 }));

test('fuzz: HCI event decoder returns typed events or HciError; known events re-encode', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(eventCodes, fc.integer({ min: 0, max: 0x20 }), bytes(64), fc.boolean(), (code, sub, body, lieAboutLength) => {
      const params = code === 0x3e ? Buffer.concat([Buffer.from([sub]), body]) : body;
      const len = lieAboutLength ? (params.length + 7) & 0xff : params.length;
      const pkt = Buffer.concat([Buffer.from([0x04, code, len]), params]);
      const ev = typedOnly(() => decodeEvent(pkt));
      if (ev && ev.name !== undefined) {
        const again = decodeEvent(buildEvent(ev.name as never, ev.params as never));
        assert.deepEqual(again, ev);
      }
    }),
    opts,
  );
});

test('fuzz: command parser (controller side) returns typed commands or HciError', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.oneof(fc.constantFrom(0x0c03, 0x2006, 0x2008, 0x200d, 0x2019, 0x201a, 0x2036), fc.integer({ min: 0, max: 0xffff })), bytes(64), (op, params) => {
      const pkt = Buffer.concat([Buffer.from([0x01, op & 0xff, op >> 8, params.length]), params]);
      typedOnly(() => parseCommand(pkt));
    }),
    opts,
  );
});

test('fuzz: ACL decoder on arbitrary bytes', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.oneof(bytes(40), fc.tuple(fc.integer({ min: 0, max: 0xffff }), bytes(40)).map(([hf, d]) => {
      const b = Buffer.alloc(5 + d.length);
      b[0] = 0x02;
      b.writeUInt16LE(hf, 1);
      b.writeUInt16LE(d.length, 3);
      d.copy(b, 5);
      return b;
    })), (b) => {
      const p = typedOnly(() => decodeAcl(b));
      if (p) assert.deepEqual(decodeAcl(encodeAcl(p.handle, p.pb, p.bc, p.data)), p);
    }),
    opts,
  );
});

test('fuzz: L2CAP reassembly of arbitrary fragment sequences', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), bytes(30)), { maxLength: 10 }), (frags) => {
      const r = new L2capReassembler(200);
      for (const [pb, data] of frags) {
        const pdu = typedOnly(() => r.push(pb, data));
        if (pdu) assert.equal(pdu.readUInt16LE(0) + 4, pdu.length);
      }
    }),
    opts,
  );
});

test('fuzz: L2CAP signaling decoder; known commands re-encode', { timeout: 60_000 }, () => {
  const codes = fc.oneof(fc.constantFrom(0x01, 0x06, 0x07, 0x12, 0x13, 0x14, 0x15, 0x16), fc.integer({ min: 0, max: 255 }));
  fc.assert(
    fc.property(codes, fc.integer({ min: 0, max: 255 }), bytes(24), fc.boolean(), (code, id, body, honest) => {
      const b = Buffer.alloc(4 + body.length);
      b[0] = code;
      b[1] = id;
      b.writeUInt16LE(honest ? body.length : (body.length * 3) & 0xffff, 2);
      body.copy(b, 4);
      const c = typedOnly(() => decodeSignaling(b));
      if (c && !('unknown' in c)) assert.deepEqual(decodeSignaling(encodeSignaling(c as Exclude<SignalingCommand, { unknown: true }>)), c);
    }),
    opts,
  );
});

test('fuzz: a connection fed arbitrary ACL (signaling, fixed and dynamic channels) never throws', { timeout: 60_000 }, () => {
  const sent: Buffer[] = [];
  const host: ConnectionHost = {
    command: async () => undefined,
    sendAcl: async (_h, pdu) => {
      sent.push(pdu);
    },
    psmServer: (psm) => (psm === 0x80 ? { options: { mtu: 100, mps: 30, initialCredits: 2 }, onChannel: () => {} } : undefined),
  };
  const cids = fc.oneof(fc.constantFrom(0x0004, 0x0005, 0x0006, 0x0040, 0x0041), fc.integer({ min: 0, max: 0xffff }));
  const pduArb = fc.tuple(cids, bytes(40)).map(([cid, payload]) => {
    const b = Buffer.alloc(4 + payload.length);
    b.writeUInt16LE(payload.length, 0);
    b.writeUInt16LE(cid, 2);
    payload.copy(b, 4);
    return b;
  });
  const openReq = encodeSignaling({ code: 0x14, identifier: 1, spsm: 0x80, sourceCid: 0x40, mtu: 64, mps: 23, initialCredits: 3 });
  fc.assert(
    fc.property(fc.array(fc.oneof(pduArb, bytes(20)), { maxLength: 6 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 }), (pdus, pbs) => {
      const conn = new HciConnection(
        { handle: 1, role: 'central', peerAddress: 'C0:00:00:00:00:01', peerAddressType: 1, localAddress: 'C0:00:00:00:00:02', localAddressType: 1, connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 400 },
        host,
      );
      // Open a channel first so K-frames have somewhere to go.
      const open = Buffer.alloc(4 + openReq.length);
      open.writeUInt16LE(openReq.length, 0);
      open.writeUInt16LE(0x0005, 2);
      openReq.copy(open, 4);
      conn.receiveAcl(0b10, open);
      pdus.forEach((p, i) => conn.receiveAcl(pbs[i] ?? 0b10, p));
      conn.onDisconnected(0x13);
      sent.length = 0;
    }),
    opts,
  );
});

test('fuzz: AD parser', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(bytes(31), (b) => {
      typedOnly(() => parseAd(b));
    }),
    opts,
  );
});

test('fuzz: a host fed arbitrary controller events and ACL never throws and keeps its books straight', { timeout: 60_000 }, async () => {
  const { BaseTransport, HciHost, buildEvent: be } = await import('../src/index.js');
  class Direct extends BaseTransport {
    written = 0;
    write(): void {
      this.written++;
    }
    protected doClose(): void {}
    feed(p: Buffer): void {
      this.emit('data', p);
    }
  }
  const handle = fc.integer({ min: 0, max: 3 });
  const conn = fc.tuple(handle, fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 2 })).map(([h, role, status]) =>
    be('LE_Connection_Complete', { status: status === 2 ? 0x3e : 0, connectionHandle: h, role, peerAddressType: 1, peerAddress: 'C1:00:00:00:00:01', connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 400, centralClockAccuracy: 0 }),
  );
  const disc = fc.tuple(handle, fc.integer({ min: 0, max: 255 })).map(([h, reason]) => be('Disconnection_Complete', { status: 0, connectionHandle: h, reason }));
  const nocp = fc.tuple(handle, fc.integer({ min: 0, max: 0xffff })).map(([h, n]) => be('Number_Of_Completed_Packets', { handles: [{ connectionHandle: h, numCompletedPackets: n }] }));
  const enc = fc.tuple(handle, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 })).map(([h, s, e]) => be('Encryption_Change_v1', { status: s, connectionHandle: h, encryptionEnabled: e }));
  const ltk = handle.map((h) => be('LE_Long_Term_Key_Request', { connectionHandle: h, randomNumber: Buffer.alloc(8), encryptedDiversifier: 0 }));
  const aclPkt = fc.tuple(handle, fc.integer({ min: 0, max: 3 }), bytes(40)).map(([h, pb, d]) => encodeAcl(h, pb, 0, d));
  const rawEvent = fc.tuple(eventCodes, bytes(40)).map(([c, d]) => Buffer.concat([Buffer.from([0x04, c, d.length]), d]));
  const packet = fc.oneof(conn, disc, nocp, enc, ltk, aclPkt, rawEvent);
  await fc.assert(
    fc.asyncProperty(fc.array(packet, { maxLength: 12 }), async (packets) => {
      const t = new Direct();
      const host = new HciHost(t);
      host.on('error', () => {});
      for (const p of packets) t.feed(p);
      for (const c of host.connections.values()) assert.ok(c.connected);
      await host.close();
    }),
    { numRuns: 20_000 },
  );
});
