// The host's mirror of assembly/status.ts: every code the agent can return, with its name and a
// message that says what happened and what to do about it. test/agent-status.test.ts parses
// assembly/status.ts and checks this table matches it exactly (names, values, nothing missing).

export interface StatusInfo {
  code: number;
  name: string;
  /** Cause and fix, for people. */
  message: string;
}

const TABLE: Array<[number, string, string]> = [
  [0, "OK", "success"],
  // Host / ABI misuse
  [-1, "ERR_IO_RANGE", "a length or offset reaches outside the agent's I/O window; the host must split data into window-sized chunks"],
  [-2, "ERR_BAD_LENGTH", "a key, signature or digest has the wrong size; pass 32-byte keys, 64-byte signatures, 32-byte digests"],
  // Cryptography
  [-10, "ERR_SIGNATURE_INVALID", "the Ed25519 signature does not verify; sign the exact bytes with the matching private key"],
  [-11, "ERR_SIGNATURE_MALLEABLE", "the Ed25519 signature's S is not below the group order; re-sign with a conforming signer"],
  [-12, "ERR_PUBLIC_KEY_INVALID", "the public key is not a point on Ed25519; check the key file is an Ed25519 public key"],
  [-13, "ERR_VERIFY_NOT_STARTED", "an Ed25519 update/final came without a successful init; call ed25519_verify_init first (a host bug)"],
  // Layout descriptor
  [-20, "ERR_NOT_CONFIGURED", "the agent was called before a successful configure() at this power-on; pass the board's layout descriptor first"],
  [-21, "ERR_LAYOUT_LENGTH", "the layout descriptor's length disagrees with its counts (or exceeds the I/O window); regenerate it from the board file"],
  [-22, "ERR_LAYOUT_MAGIC", "the layout descriptor has the wrong magic or format version; regenerate it with this version of airlock"],
  [-23, "ERR_LAYOUT_GEOMETRY", "the flash geometry is invalid (write unit 1..32 and a power of two, erased value 0xFF or 0x00, sectors of at least 256 bytes); fix the board file"],
  [-24, "ERR_LAYOUT_PARTITION", "a partition is empty, not sector-aligned or outside the flash; fix its offset and size in the board file"],
  [-25, "ERR_LAYOUT_OVERLAP", "two partitions (metadata, staging, slots) overlap; move them apart in the board file"],
  [-26, "ERR_LAYOUT_TARGET", "a target name is empty, not zero-padded, repeated or the reserved name \"user_manifest\"; give each target a unique name"],
  [-27, "ERR_LAYOUT_METADATA_SMALL", "the metadata partition cannot hold two banks big enough for every record (root, manifests and user manifests of both slots: about 6.2 KiB per bank); give it at least 16 KiB in two or more sectors"],
  // Record store and provisioning
  [-30, "ERR_STORE_FULL", "a record does not fit a metadata bank even after compaction; enlarge the metadata partition"],
  [-31, "ERR_NOT_PROVISIONED", "the device holds no trusted root; provision it at the factory (airlock sim init --root ROOT NAME=FILE)"],
  [-32, "ERR_ALREADY_PROVISIONED", "provisioning refused: the device already holds a trusted root; change roots through a bundle that carries the new root"],
  [-33, "ERR_STORE_CORRUPT", "a stored record passed its CRC but its content is invalid; the metadata partition was written by something other than airlock"],
  [-34, "ERR_PROVISION_REQUEST", "the provisioning request is malformed or disagrees with the image written to slot A; rebuild it from the root and images"],
  // Protobuf
  [-40, "ERR_PROTO_TRUNCATED", "a protobuf field runs past the end of its message; the bundle or metadata is truncated or corrupt"],
  [-41, "ERR_PROTO_VARINT", "a protobuf varint is longer than 10 bytes or too large for its field; the data is corrupt"],
  [-42, "ERR_PROTO_WIRE_TYPE", "a protobuf field has a group or a wire type that does not match its schema; the data is corrupt or of another kind"],
  [-43, "ERR_PROTO_FIELD_NUMBER", "a protobuf field has number 0; the data is corrupt"],
  [-44, "ERR_PROTO_DUPLICATE_FIELD", "a singular protobuf field appears twice (refused so every parser reads the same thing); rebuild the bundle with airlock"],
  [-45, "ERR_PROTO_DUPLICATE_KEY", "a map key, target name, key ID or hash function appears twice; rebuild the metadata with each listed once"],
  [-46, "ERR_PROTO_TOO_MANY", "more keys or signatures than the agent accepts (MAX_ROOT_KEYS, MAX_SIGNATURES); remove extra ones"],
  // TUF metadata
  [-50, "ERR_ROOT_TOO_LARGE", "the root metadata is longer than MAX_ROOT_METADATA_BYTES; use fewer keys or signatures"],
  [-51, "ERR_ROOT_ROLE", "the root metadata's role is not \"root\" (or it is empty); pass root metadata made by `airlock root create`"],
  [-52, "ERR_ROOT_VERSION_MISSING", "the root metadata has no version; create it with --version N (N >= 1)"],
  [-53, "ERR_ROOT_ROLLBACK", "the bundle's root is older than the device's trusted root (rollback refused); bundle the current root or a newer one"],
  [-54, "ERR_ROOT_VERSION_REUSED", "the bundle's root has the trusted root's version but different content; give a changed root a higher version"],
  [-55, "ERR_ROOT_NOT_SIGNED_BY_TRUSTED", "the bundle's root lacks enough valid signatures from the trusted root's root keys; sign it with the old root keys too"],
  [-56, "ERR_ROOT_NOT_SELF_SIGNED", "the root lacks enough valid signatures from its own root keys; sign it with its root keys (`airlock root sign`)"],
  [-57, "ERR_THRESHOLD_ZERO", "a signature requirement is missing or has threshold 0 (which would accept anything); set a threshold of at least 1"],
  [-58, "ERR_KEY_ID_MISMATCH", "a key ID is not SHA-256(key type, scheme, key value); rebuild the root metadata with airlock"],
  [-59, "ERR_KEY_UNSUPPORTED", "a key is neither Ed25519 (key type 2, scheme 2, 32-byte value) nor ECDSA P-256 (key type 3, scheme 3, 65-byte 04 || X || Y); use keys from `airlock keygen` (--type p256 for P-256)"],
  [-109, "ERR_NO_INTACT_IMAGE", "the boot-time image check found neither slot's images matching the SHA-256 recorded when they were installed (bit rot, or something other than the agent wrote the slots); nothing safe is left to run: reflash the device through its recovery path (serial bootloader or programmer)"],
  [-108, "ERR_BOOT_CHECK_PENDING", "the layout asks for an image check at boot (bootCheck): boot() started it, and boot_poll(budget) must be called until it returns the slot"],
  [-107, "ERR_KEY_TYPE_UNSUPPORTED", "the root lists a key of a type this build of the agent cannot verify (an Ed25519-only build and a P-256 key, or a P-256-only build and an Ed25519 key); sign with keys of the type the device verifies, or put the variant with both schemes (build/agent.wasm) on the device"],
  [-104, "ERR_KEY_WEAK", "the new root lists an Ed25519 public key of small order (or a non-canonical encoding of one): signatures under such a key can be forged by anyone, so the root is refused; generate real keys (airlock keygen) and rebuild the root"],
  [-60, "ERR_KEY_UNKNOWN", "a signature requirement names a key ID that the root does not list; list the key or remove the ID"],
  [-61, "ERR_SIGNATURE_FORMAT", "a signature entry's key ID is not 32 bytes or its signature not 64; re-sign with airlock"],
  [-62, "ERR_TARGETS_MISSING", "the bundle has no \"targets\" metadata; build it with `airlock bundle create`"],
  [-63, "ERR_TARGETS_TOO_LARGE", "the targets metadata is longer than MAX_TARGETS_METADATA_BYTES; list fewer targets or signatures"],
  [-64, "ERR_TARGETS_NOT_SIGNED", "the targets metadata lacks enough valid signatures from the trusted root's targets keys; sign the bundle with a targets key (`airlock bundle sign`)"],
  [-65, "ERR_TARGETS_ROLE", "the targets metadata's role is not \"targets\"; role confusion refused"],
  [-66, "ERR_TARGETS_VERSION_MISSING", "the targets metadata has no version; create the bundle with --targets-version N (N >= 1)"],
  [-67, "ERR_TARGETS_ROLLBACK", "the bundle's targets version is older than the installed one (rollback refused); build the bundle with a version at least the installed one"],
  [-105, "ERR_TARGETS_VERSION_REUSED", "the bundle has the installed targets version but other content (targets, lengths or hashes): one version number must mean one firmware; build the new firmware with a higher --targets-version (the same version is accepted only to re-install exactly what runs)"],
  [-106, "ERR_TRIAL_REVERTED", "the update installed, but the new image never confirmed itself and the device reverted to the previous one; find out why the new firmware failed its self-test (or did not call confirm) before sending it again"],
  [-68, "ERR_WRONG_HARDWARE", "the bundle is for other hardware than this device; build it with --hardware set to this board's hardware ID"],
  [-69, "ERR_BUNDLE_FORMAT", "the bundle's structure is invalid (metadata other than \"targets\", or too many fields); build it with `airlock bundle create`"],
  // Targets and payloads
  [-70, "ERR_TARGET_UNKNOWN", "the targets metadata lists a target this device's layout does not have; use the board's target names"],
  [-71, "ERR_TARGET_TOO_LARGE", "a target's declared length exceeds its slot; shrink the image or use a board with larger slots"],
  [-72, "ERR_TARGET_EMPTY", "a target declares length 0; an image must hold at least one byte"],
  [-73, "ERR_TARGET_LENGTH_MISMATCH", "a payload's length differs from the length its metadata signed; the bundle was altered or built wrongly"],
  [-74, "ERR_TARGET_HASH_MISSING", "a target has no SHA-256 hash of 32 bytes; rebuild the bundle with airlock"],
  [-75, "ERR_TARGET_HASH_MISMATCH", "a payload's SHA-256 differs from the hash its metadata signed; the payload was altered or corrupted in transfer"],
  [-76, "ERR_PERSONALIZED_UNKNOWN", "a payload was left out of the bundle but the device has no such image; send the full bundle"],
  [-77, "ERR_PERSONALIZED_MISMATCH", "a payload was left out of the bundle but the device's image differs from the signed one; send the full bundle"],
  [-79, "ERR_PAYLOAD_UNLISTED", "the bundle carries a payload its signed targets metadata does not list; it was refused before any of its bytes reached flash. Build bundles with `airlock bundle create`"],
  [-78, "ERR_SLOT_VERIFY", "an installed slot reads back with the wrong hash (flash fault); retry the update, and check the flash if it recurs"],
  // Flash port
  [-80, "ERR_FLASH_OUT_OF_RANGE", "a flash operation reaches past the end of the flash; the layout does not match the part"],
  [-81, "ERR_FLASH_MISALIGNED", "a program's address or length is not a multiple of the write unit; the layout's write unit does not match the part"],
  [-82, "ERR_FLASH_NOT_ERASED", "a program over a write unit not erased since its last program; a bug in the agent or a layout that does not match the part"],
  [-83, "ERR_FLASH_NOT_SECTOR", "an erase does not start and end on sector boundaries; the layout's sector map does not match the part"],
  [-84, "ERR_FLASH_EMPTY", "a program or erase of zero bytes; a bug in the caller"],
  // Update service and boot
  [-90, "ERR_UPDATE_STATE", "the update call is not allowed in the current state; read update_status, and abort/reset a finished or stale update first"],
  [-91, "ERR_TRANSFER_OFFSET", "the write offset is not the number of bytes received so far; resume from the bytes received that status reports"],
  [-92, "ERR_BUNDLE_TOO_LARGE", "the bundle does not fit the staging partition; make the bundle smaller or the staging partition larger"],
  [-93, "ERR_TRANSFER_LENGTH", "set_transferred's total is 0 or not the number of bytes received; send the whole bundle first"],
  [-94, "ERR_TRIAL_PENDING", "an update is refused while the running image is on trial; confirm it (airlock sim confirm) or let it revert first"],
  [-95, "ERR_TRIAL_NOT_BOOTED", "confirm refused: the new image has not run yet; reboot into it, then confirm"],
  [-96, "ERR_NOT_BOOTED", "the agent was called before boot() at this power-on; call configure() then boot() first"],
  [-97, "ERR_ALREADY_BOOTED", "configure or attach refused: this agent instance already booted (boot() or attach() ran); configure once, then call boot() or attach() once"],
  [-98, "ERR_BOOT_PENDING", "attach refused: there is no run to rejoin, flash shows an installed image that boot() has not started yet; at power-on call boot(), and after update_apply reboot"],
  [-99, "ERR_METADATA_AFTER_PAYLOAD", "the bundle carries metadata after its payloads (plain protobuf/Pigweed order); the device needs root and targets metadata first: send it with airlock, which streams it in that order, or rewrite it with `airlock bundle reorder`"],
  [-103, "ERR_ROOT_AFTER_TARGETS", "the bundle carries its root metadata after its targets metadata; the device needs the root first: send it with airlock, which streams it in that order, or rewrite it with `airlock bundle reorder`"],
  // User manifest
  [-100, "ERR_USER_MANIFEST_TOO_LARGE", "the bundle's user_manifest is longer than the device keeps (MAX_USER_MANIFEST_BYTES); shrink it"],
  [-101, "ERR_USER_MANIFEST_ABSENT", "the running image's manifest carries no user manifest; the last installed bundle listed no user_manifest target"],
  [-102, "ERR_USER_MANIFEST_RANGE", "user_manifest_read's offset lies past the user manifest's end; read from 0 up to user_manifest_size()"],
];

const BY_CODE = new Map<number, StatusInfo>(TABLE.map(([code, name, message]) => [code, { code, name, message }]));

/** Every code the agent defines, in table order. */
export const STATUS_CODES: readonly StatusInfo[] = [...BY_CODE.values()];

/** Name and message for a code; unknown codes get a name that says so. */
export function statusInfo(code: number): StatusInfo {
  return BY_CODE.get(code) ?? {
    code,
    name: `UNKNOWN_${code}`,
    message: `the agent returned code ${code}, which this host does not know; rebuild the host tools and agent.wasm from the same sources`,
  };
}

export function statusName(code: number): string {
  return statusInfo(code).name;
}
