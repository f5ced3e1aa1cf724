// pw_status codes (pw_status/status.h), as RpcPacket.status and Chunk.status carry them.
export const PW_STATUS = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
] as const;
export type PwStatusName = (typeof PW_STATUS)[number];

export const Status = Object.fromEntries(PW_STATUS.map((name, code) => [name, code])) as Record<PwStatusName, number>;

export function statusName(code: number): string {
  return PW_STATUS[code] ?? `STATUS_${code}`;
}
