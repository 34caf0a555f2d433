export * from './errors.js';
export * from './bytes.js';
export * from './protocol/index.js';
export * from './transfer.js';
