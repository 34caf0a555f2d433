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
