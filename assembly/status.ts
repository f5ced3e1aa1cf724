// Every result the agent returns: 0 is success, every failure is a negative named code with one
// meaning. The host mirrors this table (host-sim/status.ts) and a test checks the two agree.

export const OK = 0;

// Host / ABI misuse
export const ERR_IO_RANGE = -1; // a length or offset reaches outside the I/O window
export const ERR_BAD_LENGTH = -2; // a key, signature or digest of the wrong size

// Cryptography
export const ERR_SIGNATURE_INVALID = -10; // the Ed25519 group equation does not hold
export const ERR_SIGNATURE_MALLEABLE = -11; // S is not below the group order L
export const ERR_PUBLIC_KEY_INVALID = -12; // the public key does not decode to a curve point

// Flash port: returned by the imported flash.read/program/erase (host simulator and real ports)
export const ERR_FLASH_OUT_OF_RANGE = -80; // the operation reaches past the end of the flash
export const ERR_FLASH_MISALIGNED = -81; // program address or length not a multiple of the write unit
export const ERR_FLASH_NOT_ERASED = -82; // program over a write unit not erased since its last program
export const ERR_FLASH_NOT_SECTOR = -83; // erase does not start and end on sector boundaries
export const ERR_FLASH_EMPTY = -84; // program or erase of zero bytes (a caller bug, never a no-op)
