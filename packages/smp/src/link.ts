// What the Security Manager needs from one LE connection. HciConnection from @pairkit/hci has
// this shape; keeping it structural lets the core be tested and reused on any host.

/** SMP's fixed L2CAP channel. */
export const SMP_CID = 0x0006;

export interface SmpLinkInfo {
  peerAddress: string;
  /** HCI address type: 0 public, 1 random, 2/3 identity addresses resolved by the controller. */
  peerAddressType: number;
  localAddress: string;
  localAddressType: number;
}

export interface SmpLinkEvents {
  ltkRequest: [e: { rand: Uint8Array; ediv: number }];
  encryptionChange: [e: { status: number; encrypted: boolean }];
  keyRefresh: [e: { status: number }];
  disconnect: [reason: number];
}

export interface SmpLink {
  readonly role: 'central' | 'peripheral';
  readonly info: SmpLinkInfo;
  readonly encrypted: boolean;
  readonly connected: boolean;
  setFixedChannelHandler(cid: number, handler: (payload: Buffer) => void): () => void;
  sendFixed(cid: number, payload: Uint8Array): Promise<void>;
  /** LTK and Rand in wire (little-endian) order, as HCI carries them. Resolves when encrypted. */
  startEncryption(ltk: Uint8Array, ediv: number, rand: Uint8Array, signal?: AbortSignal): Promise<void>;
  ltkReply(ltk: Uint8Array): Promise<void>;
  ltkNegativeReply(): Promise<void>;
  on(event: 'ltkRequest', listener: (...args: SmpLinkEvents['ltkRequest']) => void): unknown;
  on(event: 'encryptionChange', listener: (...args: SmpLinkEvents['encryptionChange']) => void): unknown;
  on(event: 'keyRefresh', listener: (...args: SmpLinkEvents['keyRefresh']) => void): unknown;
  on(event: 'disconnect', listener: (...args: SmpLinkEvents['disconnect']) => void): unknown;
  off(event: 'ltkRequest', listener: (...args: SmpLinkEvents['ltkRequest']) => void): unknown;
  off(event: 'encryptionChange', listener: (...args: SmpLinkEvents['encryptionChange']) => void): unknown;
  off(event: 'keyRefresh', listener: (...args: SmpLinkEvents['keyRefresh']) => void): unknown;
  off(event: 'disconnect', listener: (...args: SmpLinkEvents['disconnect']) => void): unknown;
}
