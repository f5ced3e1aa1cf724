// CommonMetadata { spec_version = 1, version = 2, expires = 3, role = 4 }: the role is the
// "magic" that stops one kind of metadata from being read as another, and the version is the
// anti-rollback counter. A missing version (proto3 encodes 0 as absent) is an error, not 0.
import { OK, ERR_PROTO_DUPLICATE_FIELD } from "../status";
import {
  readField, FIELD_END, fieldNumber, fieldStart, fieldLen, fieldNext, fieldWire, expectWire,
  expectU32, fieldU32, WIRE_LEN, seenOnce,
} from "../proto/wire";
import { sourceEquals } from "../proto/source";

export const ROLE_ROOT: usize = memory.data<u8>([0x72, 0x6f, 0x6f, 0x74]); // "root"
export const ROLE_ROOT_LEN: u32 = 4;
export const ROLE_TARGETS: usize = memory.data<u8>([0x74, 0x61, 0x72, 0x67, 0x65, 0x74, 0x73]); // "targets"
export const ROLE_TARGETS_LEN: u32 = 7;

/** Set by parseCommon. */
export let commonVersion: u32 = 0;
export let commonRoleMatches = false;

export function parseCommon(start: u32, len: u32, role: usize, roleLen: u32): i32 {
  const end = start + len;
  let seen: u32 = 0;
  let pos = start;
  commonVersion = 0;
  commonRoleMatches = false;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    const f = fieldNumber;
    if (f >= 1 && f <= 4) {
      seen = seenOnce(seen, f);
      if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
    }
    if (f == 2) {
      const v = expectU32();
      if (v != OK) return v;
      commonVersion = fieldU32;
    } else if (f == 1 || f == 3 || f == 4) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      if (f == 4) commonRoleMatches = fieldLen == roleLen && sourceEquals(fieldStart, role, roleLen);
    }
  }
  return OK;
}

/**
 * Finds the common_metadata field (1) of a metadata message without interpreting the rest, so
 * the role is checked before anything else is (role confusion fails as a role error).
 * Sets commonVersion / commonRoleMatches; absent common metadata leaves both unset.
 */
export function parseCommonOf(start: u32, len: u32, role: usize, roleLen: u32): i32 {
  const end = start + len;
  let pos = start;
  let found = false;
  commonVersion = 0;
  commonRoleMatches = false;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    if (fieldNumber != 1) continue;
    if (fieldWire != WIRE_LEN) return expectWire(WIRE_LEN);
    if (found) return ERR_PROTO_DUPLICATE_FIELD;
    found = true;
    const next = fieldNext;
    const c = parseCommon(fieldStart, fieldLen, role, roleLen);
    if (c != OK) return c;
    pos = next;
  }
  return OK;
}
