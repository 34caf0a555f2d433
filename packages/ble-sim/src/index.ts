export { SimAir, type SimAirOptions, type SimAirEvents, type SimTimers } from './air.js';
export { SimController, leEncrypt, type SimControllerOptions, type SimControllerStats, type SimControllerEvents } from './controller.js';
export { SimLink, type LinkEnd } from './link.js';
export { SimTransport, type SimTransportEvents } from './transport.js';
export { SimServer, type SimServerOptions, type SimServerEvents } from './server.js';
export { H4Deframer } from './h4.js';
export { SimError, type SimErrorCode } from './errors.js';
export { formatAddress, parseAddress } from './bytes.js';
export { Op as SimOpcodes, Status as SimStatus } from './constants.js';

/** TCP port `pair sim` listens on by default and the hci `sim` transport dials (owned by @pairkit/hci). */
export { DEFAULT_SIM_PORT } from '@pairkit/hci';
