/** The gateway protocol, pure: opcodes, close codes, codecs, decoders and the encoder. */
export * from './opcodes.js';
export * from './close-codes.js';
export * from './codecs.js';
export * from './errors.js';
export * from './decoder.js';
export * from './frame.js';
export * from './encode.js';
