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
export const ERR_VERIFY_NOT_STARTED = -13; // ed25519 update/final without a successful init since the last final

// Flash port: returned by the imported flash.read/program/erase (host simulator and real ports)
export const ERR_FLASH_OUT_OF_RANGE = -80; // the operation reaches past the end of the flash
export const ERR_FLASH_MISALIGNED = -81; // program address or length not a multiple of the write unit
export const ERR_FLASH_NOT_ERASED = -82; // program over a write unit not erased since its last program
export const ERR_FLASH_NOT_SECTOR = -83; // erase does not start and end on sector boundaries
export const ERR_FLASH_EMPTY = -84; // program or erase of zero bytes (a caller bug, never a no-op)

// Layout descriptor (configure)
export const ERR_NOT_CONFIGURED = -20; // called before a successful configure() at this power-on
export const ERR_LAYOUT_LENGTH = -21; // descriptor length disagrees with its counts or the I/O window
export const ERR_LAYOUT_MAGIC = -22; // descriptor magic or format version is not airlock's
export const ERR_LAYOUT_GEOMETRY = -23; // write unit, erased value or sector map is invalid
export const ERR_LAYOUT_PARTITION = -24; // a partition is empty, not sector-aligned or outside the flash
export const ERR_LAYOUT_OVERLAP = -25; // two partitions (metadata, staging, slots) overlap
export const ERR_LAYOUT_TARGET = -26; // a target name is empty, not zero-padded, repeated or "user_manifest"
export const ERR_LAYOUT_METADATA_SMALL = -27; // metadata partition lacks two banks big enough for all records

// Record store and provisioning
export const ERR_STORE_FULL = -30; // a record does not fit a metadata bank even after compaction
export const ERR_NOT_PROVISIONED = -31; // no trusted root in the record store (factory provisioning missing)
export const ERR_ALREADY_PROVISIONED = -32; // provisioning refused: the device already holds a trusted root
export const ERR_STORE_CORRUPT = -33; // a stored record passed its CRC but its content is invalid
export const ERR_PROVISION_REQUEST = -34; // the provisioning request is malformed or disagrees with slot A

// Protobuf wire format (bundle and metadata parsing)
export const ERR_PROTO_TRUNCATED = -40; // a field runs past the end of its enclosing message
export const ERR_PROTO_VARINT = -41; // a varint is longer than 10 bytes or too large for its field
export const ERR_PROTO_WIRE_TYPE = -42; // a wire type is a group or does not match the field's type
export const ERR_PROTO_FIELD_NUMBER = -43; // field number 0
export const ERR_PROTO_DUPLICATE_FIELD = -44; // a singular field appears twice
export const ERR_PROTO_DUPLICATE_KEY = -45; // a map key, target name, key ID or hash function repeats
export const ERR_PROTO_TOO_MANY = -46; // more repeated entries than the agent's bounds allow

// TUF metadata
export const ERR_ROOT_TOO_LARGE = -50; // root metadata longer than MAX_ROOT_METADATA_BYTES
export const ERR_ROOT_ROLE = -51; // root metadata's role is not "root"
export const ERR_ROOT_VERSION_MISSING = -52; // root metadata has no version (or version 0)
export const ERR_ROOT_ROLLBACK = -53; // bundle root is older than the trusted root
export const ERR_ROOT_VERSION_REUSED = -54; // bundle root has the trusted version but different bytes
export const ERR_ROOT_NOT_SIGNED_BY_TRUSTED = -55; // bundle root misses the trusted root's threshold
export const ERR_ROOT_NOT_SELF_SIGNED = -56; // root misses its own root threshold
export const ERR_THRESHOLD_ZERO = -57; // a signature requirement is missing or has threshold 0
export const ERR_KEY_ID_MISMATCH = -58; // a key ID is not SHA-256(key type, scheme, key value)
export const ERR_KEY_UNSUPPORTED = -59; // a key is neither Ed25519 (type 2, scheme 2, 32-byte value) nor P-256 (type 3, scheme 3, 65-byte value)
export const ERR_NO_INTACT_IMAGE = -109; // the boot-time image check found neither slot's images matching their manifest (bit rot, an external write): reflash the device through its recovery path
export const ERR_BOOT_CHECK_PENDING = -108; // the layout asks boot() to re-hash the image first: call boot_poll(budget) until it returns the slot
export const ERR_KEY_TYPE_UNSUPPORTED = -107; // a key is Ed25519 or P-256, but this build of the agent was compiled without that scheme (assembly/crypto/schemes.ts)
export const ERR_KEY_WEAK = -104; // a new root lists an Ed25519 key of small order, or encoded non-canonically (y >= p)
export const ERR_KEY_UNKNOWN = -60; // a signature requirement names a key the root does not list
export const ERR_SIGNATURE_FORMAT = -61; // a signature entry has a key ID or signature of the wrong size
export const ERR_TARGETS_MISSING = -62; // the bundle has no "targets" metadata
export const ERR_TARGETS_TOO_LARGE = -63; // targets metadata longer than MAX_TARGETS_METADATA_BYTES
export const ERR_TARGETS_NOT_SIGNED = -64; // targets metadata misses the trusted root's targets threshold
export const ERR_TARGETS_ROLE = -65; // targets metadata's role is not "targets"
export const ERR_TARGETS_VERSION_MISSING = -66; // targets metadata has no version (or version 0)
export const ERR_TARGETS_ROLLBACK = -67; // targets version older than the installed manifest's
export const ERR_TRIAL_REVERTED = -106; // the update installed, but its image never confirmed and the device went back to the previous one
export const ERR_TARGETS_VERSION_REUSED = -105; // targets version equals the installed one but lists other targets, lengths or hashes
export const ERR_WRONG_HARDWARE = -68; // the bundle names other hardware than this device's layout
export const ERR_BUNDLE_FORMAT = -69; // bundle structure invalid (unexpected metadata name, too many fields)

// Targets and payloads
export const ERR_TARGET_UNKNOWN = -70; // metadata lists a target this device's layout does not have
export const ERR_TARGET_TOO_LARGE = -71; // a target's declared length exceeds its slot
export const ERR_TARGET_EMPTY = -72; // a target declares length 0
export const ERR_TARGET_LENGTH_MISMATCH = -73; // a payload's length differs from the signed length
export const ERR_TARGET_HASH_MISSING = -74; // a target has no SHA-256 hash of 32 bytes
export const ERR_TARGET_HASH_MISMATCH = -75; // a payload's SHA-256 differs from the signed hash
export const ERR_PERSONALIZED_UNKNOWN = -76; // payload left out but the device manifest has no such target
export const ERR_PERSONALIZED_MISMATCH = -77; // payload left out but the manifest records other length or hash
export const ERR_SLOT_VERIFY = -78; // an installed slot reads back with the wrong hash (flash fault)
export const ERR_PAYLOAD_UNLISTED = -79; // the bundle carries a payload its signed targets metadata does not list

// Update service and boot
export const ERR_UPDATE_STATE = -90; // the call is not allowed in the update's current state
export const ERR_TRANSFER_OFFSET = -91; // update_write offset is not the bytes received so far
export const ERR_BUNDLE_TOO_LARGE = -92; // the bundle does not fit the staging partition
export const ERR_TRANSFER_LENGTH = -93; // set_transferred total is 0 or not the bytes received
export const ERR_TRIAL_PENDING = -94; // an update is refused while an image is on trial (confirm first)
export const ERR_TRIAL_NOT_BOOTED = -95; // confirm refused: the new image has not run yet (reboot first)
export const ERR_NOT_BOOTED = -96; // called before boot() at this power-on
export const ERR_ALREADY_BOOTED = -97; // configure or attach refused: boot() or attach() already ran in this instance
export const ERR_BOOT_PENDING = -98; // attach refused: flash holds a boot decision boot() has not made yet (call boot())
export const ERR_METADATA_AFTER_PAYLOAD = -99; // root or targets metadata arrived after the first payload (Pigweed/protobuf field order)
export const ERR_ROOT_AFTER_TARGETS = -103; // the bundle's root metadata arrived after its targets metadata (device order: root first)

// User manifest (the reserved target "user_manifest", kept with the device manifest)
export const ERR_USER_MANIFEST_TOO_LARGE = -100; // the signed user_manifest is longer than MAX_USER_MANIFEST_BYTES
export const ERR_USER_MANIFEST_ABSENT = -101; // the running slot's manifest carries no user manifest
export const ERR_USER_MANIFEST_RANGE = -102; // user_manifest_read offset lies past the user manifest's end
