// A scripted controller for flow-control edge cases only (credits, timeouts, buffer-size
// fallbacks) that ble-sim, being well behaved, never produces. End-to-end tests use ble-sim.
import { createPacketPipe, parseCommand, type ParsedCommand, type PipeTransport } from '../../src/index.js';

export type Answer = (cmd: ParsedCommand) => Buffer[] | undefined;

export class FakeController {
  readonly host: PipeTransport;
  readonly side: PipeTransport;
  readonly received: ParsedCommand[] = [];
  readonly acl: Buffer[] = [];

  constructor(private answer: Answer) {
    [this.host, this.side] = createPacketPipe();
    this.side.on('data', (p) => {
      if (p[0] === 0x02) {
        this.acl.push(p);
        return;
      }
      const cmd = parseCommand(p);
      this.received.push(cmd);
      for (const out of this.answer(cmd) ?? []) this.side.write(out);
    });
  }

  send(p: Buffer): void {
    this.side.write(p);
  }
  setAnswer(a: Answer): void {
    this.answer = a;
  }
}

export const tick = () => new Promise((r) => setImmediate(r));
export async function settle(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}
