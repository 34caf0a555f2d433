import './polyfill.js';

export { NetError, type NetErrorCode } from './errors.js';
export {
  createPairkitNode,
  libp2pPrivateKey,
  DHT_PROTOCOL,
  MDNS_SERVICE_TAG,
  type NodeIdentity,
  type PairkitNodeOptions,
  type PairkitLibp2p,
  type PairkitServices
} from './node.js';
export { rendezvousCid, announceSession, findSessionProviders, RENDEZVOUS_LABEL } from './rendezvous.js';
export { discoverCandidates, queryMdnsNow, setMdnsEnabled, type Candidate, type CandidateSource } from './discovery.js';
export { FrameStream, DEFAULT_MAX_FRAME, type FrameReadOptions } from './frames.js';
export { streamChunks } from './chunks.js';
export { DeviceChannels, CONTROL_PROTOCOL, REMOVED_NOTICE_CONTEXT, type ChannelHandler, type DeviceEvents } from './devices.js';
export type { DeviceStore, KnownDevice } from './store.js';
export {
  PairingService,
  PAIR_PROTOCOL,
  type PairedOutcome,
  type PairingServiceEvents,
  type PairingServiceOptions,
  type InitiateOptions,
  type JoinOptions
} from './service.js';
export { ConversationRunner } from './runner.js';
