export * from './errors.js';
export * from './aead.js';
