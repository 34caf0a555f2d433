// Property-based fuzzing of what a host can throw at a controller: typed errors only, never a
// crash, and every well-formed command gets exactly one Command Complete or Command Status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { H4Deframer, SimAir, SimError, SimOpcodes } from '../src/index.js';

const opcodes = Object.values(SimOpcodes);

test('random byte streams: the deframer and controller raise SimError or nothing', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 8 }), (chunks) => {
      const air = new SimAir();
      const c = air.createController();
      const d = new H4Deframer();
      try {
        for (const chunk of chunks) for (const p of d.push(chunk)) c.receive(p);
      } catch (e) {
        assert.ok(e instanceof SimError, `unexpected ${String(e)}`);
      } finally {
        air.close();
      }
    }),
    { numRuns: 20_000 },
  );
});

test('random well-formed commands (known and unknown opcodes): one Command Complete/Status each, no throw', () => {
  const command = fc.tuple(fc.oneof(fc.constantFrom(...opcodes), fc.integer({ min: 0, max: 0xffff })), fc.uint8Array({ maxLength: 40 }));
  fc.assert(
    fc.property(fc.array(command, { minLength: 1, maxLength: 12 }), (cmds) => {
      const air = new SimAir();
      // Two controllers, so connection-related commands sometimes find a peer.
      const a = air.createController();
      const b = air.createController();
      const answers: number[] = [];
      a.on('packet', (p) => {
        if (p[0] === 0x04 && p[1] === 0x0e) answers.push(p.readUInt16LE(4));
        if (p[0] === 0x04 && p[1] === 0x0f) answers.push(p.readUInt16LE(5));
      });
      b.receive(Buffer.from('0106200f200020000000000000000000000700', 'hex'));
      b.receive(Buffer.from('010a200101', 'hex'));
      try {
        for (const [op, params] of cmds) {
          const before = answers.length;
          a.receive(Buffer.concat([Buffer.from([0x01, op & 0xff, op >> 8, params.length]), params]));
          assert.equal(answers.length, before + 1, `one answer for 0x${op.toString(16)}`);
          assert.equal(answers.at(-1), op);
        }
      } finally {
        air.close();
      }
    }),
    { numRuns: 10_000 },
  );
});

test('random ACL from a connected host: every accepted packet is delivered (within the receiver buffer size) and completed', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 300 })), { maxLength: 20 }),
      (packets) => {
        const air = new SimAir();
        const a = air.createController({ totalNumAclDataPackets: 3 });
        const b = air.createController({ aclDataPacketLength: 27 });
        const le = Buffer.from('01010c08ffffffffffffff3f', 'hex');
        a.receive(le);
        b.receive(le);
        let handle = -1;
        let completed = 0;
        let delivered = 0;
        a.on('packet', (p) => {
          if (p[1] === 0x3e && p[3] === 0x01) handle = p.readUInt16LE(5);
          if (p[1] === 0x13) completed += p.readUInt16LE(6);
        });
        b.on('packet', (p) => {
          if (p[0] === 0x02) {
            assert.ok(p.readUInt16LE(3) <= 27, 'receiver buffer size respected');
            delivered += p.readUInt16LE(3);
          }
        });
        b.receive(Buffer.from('0106200f200020000000000000000000000700', 'hex'));
        b.receive(Buffer.from('010a200101', 'hex'));
        const cc = Buffer.alloc(29);
        cc.set([0x01, 0x0d, 0x20, 25]);
        cc.writeUInt16LE(16, 4);
        cc.writeUInt16LE(16, 6);
        b.publicAddress.copy(cc, 10);
        cc.writeUInt16LE(24, 17);
        cc.writeUInt16LE(40, 19);
        cc.writeUInt16LE(400, 23);
        a.receive(cc);
        let sentOk = 0;
        let bytes = 0;
        try {
          for (const [handleSel, pb, data] of packets) {
            const h = handleSel === 0 ? 0x0eee : handle;
            const pkt = Buffer.alloc(5 + data.length);
            pkt[0] = 0x02;
            pkt.writeUInt16LE(h | (pb << 12), 1);
            pkt.writeUInt16LE(data.length, 3);
            Buffer.from(data).copy(pkt, 5);
            const dropped = a.stats.aclDropped;
            a.receive(pkt);
            if (a.stats.aclDropped === dropped) {
              sentOk++;
              bytes += data.length;
            }
          }
          // Delay 0: whatever was accepted has crossed the air and completed.
          assert.equal(completed, sentOk);
          assert.equal(delivered, bytes);
        } finally {
          air.close();
        }
      },
    ),
    { numRuns: 5_000 },
  );
});
