// PKCS#11 failures as airlock errors: pkcs11js throws Pkcs11Error with the CKR_ name and number;
// the message says what airlock was doing, on which token and key, and the CKR_ name to look up.
import { RejectedError } from "../../format/index.js";

/** The CKR_ result code of a pkcs11js error, or undefined for any other error. */
export function resultCodeOf(err: unknown): number | undefined {
  if (!(err instanceof Error) || err.name !== "Pkcs11Error") return undefined;
  const code: unknown = (err as Error & { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

/** `doing` names the step and its token, e.g. `signing with key "targets" on token "prod"`. */
export function pkcs11Failure(err: unknown, doing: string): RejectedError {
  const detail = err instanceof Error ? err.message.split("\n")[0] : String(err);
  return new RejectedError(`${doing} failed: ${detail}`);
}
