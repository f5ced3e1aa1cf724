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

/** Longest bundle file name a Start request may name (kept with the session across resets). */
export const MAX_BUNDLE_FILENAME = 64;

// The link variant (assembly/link/) lends the I/O window to the wire, so the link costs almost no
// RAM of its own: bytes from the UART arrive at [0, LINK_RX_BYTES), responses are built and
// escaped in the middle, and the frame being received is decoded into the top of the window.
/** Most bytes one link_rx call may pass (they sit at the start of the I/O window). */
export const LINK_RX_BYTES = 1024;
/** Where an outgoing RPC packet is built, and its most bytes. */
export const LINK_TX_PACKET_AT = 1024;
export const LINK_TX_PACKET_BYTES = 512;
/** Where the outgoing HDLC frame is escaped before link.tx, and its most bytes (worst case). */
export const LINK_TX_FRAME_AT = 1536;
export const LINK_TX_FRAME_BYTES = 2 * (LINK_TX_PACKET_BYTES + 6) + 2;
/** Where an incoming frame is unescaped, and its most bytes: pw_system's 1055-byte limit. */
export const LINK_RX_FRAME_AT = 2592;
export const LINK_RX_FRAME_BYTES = 1055;
/**
 * Most data bytes in one transfer chunk the device asks for: with the chunk's and RpcPacket's
 * other fields at their longest (53 bytes with address, control and FCS) the frame stays within
 * pw_system's 1055 bytes.
 */
export const LINK_MAX_CHUNK_BYTES = 1000;
/**
 * Bytes the sender may have in flight (the transfer window; extended when half is used). It
 * costs no RAM (every chunk is staged as it arrives); 16 chunks keep a 115200-baud line busy
 * across its latency with one PARAMETERS_CONTINUE per 8 chunks.
 */
export const LINK_WINDOW_BYTES = 16 * LINK_MAX_CHUNK_BYTES;
/** The pw_transfer resource that receives a bundle (BundledUpdateStatus.transfer_id). */
export const LINK_BUNDLE_RESOURCE_ID = 1;
