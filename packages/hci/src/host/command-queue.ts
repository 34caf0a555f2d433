import { EventCode, opcodeName, statusName } from '../constants.js';
import { HciError } from '../errors.js';
import { decodeEventParams } from '../codec/events.js';

export interface CommandResult {
  /** 'complete': Command Complete; 'status': Command Status (the outcome comes later as an event). */
  kind: 'complete' | 'status';
  status: number;
  /** Return parameters (Command Complete), status byte included. */
  returnParameters: Buffer;
}

interface Entry {
  opcode: number;
  packet: Buffer;
  timeoutMs: number;
  deadline: number;
  resolve: (r: CommandResult) => void;
  reject: (e: HciError) => void;
}

/**
 * Sans-IO command flow control (Core Vol 4 Part E §4.4): at most Num_HCI_Command_Packets
 * commands outstanding. submit() queues; drain() hands out what may be sent now; events and
 * time are passed in.
 */
export class CommandQueue {
  /** Commands the controller will accept now; 1 before the first event (spec). */
  credits = 1;
  private readonly waiting: Entry[] = [];
  private readonly sent: Entry[] = [];
  private closedWith: HciError | undefined;

  constructor(readonly defaultTimeoutMs = 5000) {}

  get outstanding(): number {
    return this.sent.length;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** Queue a command; its timeout starts when drain() hands it out. */
  submit(opcode: number, packet: Buffer, timeoutMs = this.defaultTimeoutMs): Promise<CommandResult> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      this.waiting.push({ opcode, packet, timeoutMs, deadline: Infinity, resolve, reject });
    });
  }

  /** Packets that may go to the controller now (respecting credits). */
  drain(now: number): Buffer[] {
    const out: Buffer[] = [];
    while (this.credits > 0 && this.waiting.length > 0) {
      const e = this.waiting.shift()!;
      this.credits--;
      e.deadline = now + e.timeoutMs;
      this.sent.push(e);
      out.push(e.packet);
    }
    return out;
  }

  /**
   * Offer an event; returns true if it was Command Complete/Status (consumed here).
   */
  onEvent(code: number, params: Buffer): boolean {
    if (code !== EventCode.Command_Complete && code !== EventCode.Command_Status) return false;
    const ev = decodeEventParams(code, params);
    let opcode: number;
    let result: CommandResult;
    if (ev.name === 'Command_Complete') {
      this.credits = ev.params.numHciCommandPackets;
      opcode = ev.params.commandOpcode;
      const rp = ev.params.returnParameters;
      result = { kind: 'complete', status: rp.length > 0 ? rp[0] : 0, returnParameters: rp };
    } else if (ev.name === 'Command_Status') {
      this.credits = ev.params.numHciCommandPackets;
      opcode = ev.params.commandOpcode;
      result = { kind: 'status', status: ev.params.status, returnParameters: Buffer.alloc(0) };
    } else {
      return true;
    }
    if (opcode === 0) return true; // HCI_NOP: credits only
    const i = this.sent.findIndex((e) => e.opcode === opcode);
    if (i < 0) return true; // late answer after a timeout: ignore
    const [e] = this.sent.splice(i, 1);
    if (result.status !== 0) {
      e.reject(
        new HciError('COMMAND_FAILED', `${opcodeName(opcode)} failed: ${statusName(result.status)} (0x${result.status.toString(16).padStart(2, '0')})`, {
          status: result.status,
        }),
      );
    } else {
      e.resolve(result);
    }
    return true;
  }

  /** Earliest deadline of a sent command, for the driver's timer. */
  nextDeadline(): number {
    let d = Infinity;
    for (const e of this.sent) d = Math.min(d, e.deadline);
    return d;
  }

  /** Fail commands whose time is up. A stuck controller gets one credit back so the queue moves. */
  tick(now: number): void {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const e = this.sent[i];
      if (e.deadline <= now) {
        this.sent.splice(i, 1);
        if (this.credits === 0) this.credits = 1;
        e.reject(new HciError('COMMAND_TIMEOUT', `${opcodeName(e.opcode)}: no answer within ${e.timeoutMs} ms`));
      }
    }
  }

  /** Reject everything: the transport is gone. */
  close(err: HciError): void {
    this.closedWith = err;
    for (const e of [...this.sent, ...this.waiting]) e.reject(err);
    this.sent.length = 0;
    this.waiting.length = 0;
  }
}
