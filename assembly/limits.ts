// Bounds shared by the agent and the host tools. This file is plain integer constants written
// in the common subset of AssemblyScript and TypeScript, so the host imports it unchanged:
// a bound lives here once and nowhere else.

/** Bytes in the I/O window through which the host passes data to and from the agent. */
export const IO_WINDOW_BYTES = 4096;

/** Longest target name in bytes (UTF-8), in bundles and in the layout descriptor. */
export const MAX_TARGET_NAME = 32;

/** Updatable targets (A/B slot pairs) a layout may declare. */
export const MAX_TARGETS = 4;

/** Longest hardware ID in bytes, in the layout descriptor and in targets metadata. */
export const MAX_HARDWARE_ID = 32;

/** Runs of equal-size sectors in a flash map (STM32F4: 16 KiB x4, 64 KiB x1, 128 KiB x7 = 3). */
export const MAX_SECTOR_RUNS = 8;

/** Largest program unit a flash part may require, in bytes. */
export const MAX_WRITE_UNIT = 32;

/** Layout descriptor: the bytes "ALAY" read as a little-endian u32, and the format version. */
export const LAYOUT_MAGIC = 0x59414c41;
export const LAYOUT_VERSION = 1;

/** Largest SignedRootMetadata (serialized root + signatures) the agent accepts and stores. */
export const MAX_ROOT_METADATA_BYTES = 3072;

/** Largest SignedTargetsMetadata (serialized targets metadata + signatures) in a bundle. */
export const MAX_TARGETS_METADATA_BYTES = 3072;

/** Keys a root metadata may list; also the most key IDs one signature requirement may name. */
export const MAX_ROOT_KEYS = 8;

/** Signatures one signed metadata may carry (each costs an Ed25519 verification). */
export const MAX_SIGNATURES = 8;

/** Top-level fields an UpdateBundle may hold (metadata entries plus payload entries). */
export const MAX_BUNDLE_FIELDS = 64;

/**
 * Largest payload of the reserved target "user_manifest" (Pigweed's Manifest.user_manifest: a
 * product-defined blob kept with the device manifest). It lives in the record store, one copy
 * per slot, so both copies must fit a metadata bank next to every other record on every board.
 */
export const MAX_USER_MANIFEST_BYTES = 1024;

/** Bytes of a record-store record header (records are padded to 32-byte multiples). */
export const RECORD_HEADER_BYTES = 32;

/** Largest body of the small records (boot, session, manifests). */
export const SMALL_RECORD_MAX_BODY = 224;

/**
 * The smallest metadata bank (half the metadata partition's sectors): the bank header, the
 * trusted root at its largest, four small records and a user manifest per slot. The agent refuses
 * a smaller layout at configure (ERR_LAYOUT_METADATA_SMALL); the host refuses it when a board
 * file is loaded, from this same number.
 */
export const MIN_METADATA_BANK_BYTES =
  RECORD_HEADER_BYTES +
  (RECORD_HEADER_BYTES + ((MAX_ROOT_METADATA_BYTES + 31) & ~31)) +
  4 * (RECORD_HEADER_BYTES + SMALL_RECORD_MAX_BODY) +
  2 * (RECORD_HEADER_BYTES + ((MAX_USER_MANIFEST_BYTES + 31) & ~31));
