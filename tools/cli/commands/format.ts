// Human-readable summaries of root metadata and bundles (the --json output is the report itself).
import type { BundleReport, SignatureCheck, RootReport } from "../../format/index.js";

const SIGNATURE_STATUS: Record<SignatureCheck["status"], string> = {
  valid: "valid",
  invalid: "INVALID (the signed bytes changed after signing, or the signature is corrupt)",
  "unknown-key": "not checked (key not listed in the root used)",
  "unsupported-key": "not checked (the root lists this key, but its type is neither Ed25519 nor ECDSA P-256, which airlock and its devices do not support)",
  "no-root": "not checked (no root given: pass --root ROOT)",
};

export function formatRoot(report: RootReport, indent = ""): string {
  const lines = [
    `${indent}role ${report.role}, version ${report.version}, spec ${report.specVersion}`,
    `${indent}keys:`,
    ...report.keys.map(
      (k) =>
        `${indent}  ${k.keyId}  ${k.type}  ${k.roles.length ? k.roles.join(", ") : "(no role)"}${k.keyIdMismatch ? "  KEY ID DOES NOT MATCH KEY" : ""}`,
    ),
    `${indent}root role:    threshold ${report.root.threshold} of ${report.root.keyIds.length} key(s)`,
    `${indent}targets role: threshold ${report.targets.threshold} of ${report.targets.keyIds.length} key(s)`,
    ...formatSignatures(report.signatures, indent),
    `${indent}root threshold: ${report.rootThresholdMet ? "met" : "NOT met"} (${report.validRootSignatures} valid of ${report.root.threshold} needed)`,
  ];
  const r = report.rotation;
  if (r) {
    lines.push(
      `${indent}rotation from trusted root v${r.trustedVersion}: ${r.accepted ? "accepted" : "REFUSED"} (trusted root keys: ${r.validTrustedSignatures} valid of ${r.trustedThreshold} needed; version ${r.versionAccepted ? "accepted" : "REFUSED: older, or the same version with other content"})`,
    );
  }
  return lines.join("\n") + "\n";
}

export function formatBundle(report: BundleReport): string {
  const t = report.targets;
  const lines = [`bundle, ${report.bytes} bytes`];
  if (report.root) {
    lines.push("root metadata (rotation to this root):", formatRoot(report.root, "  ").trimEnd());
  } else {
    lines.push("root metadata: none (the device keeps its trusted root)");
  }
  lines.push(
    `targets metadata: version ${t.version}, spec ${t.specVersion}, hardware ${t.hardwareId ?? "any"}`,
    "targets:",
    ...t.files.map((f) => {
      const payload =
        f.payload === "personalized-out"
          ? "payload personalized out (checked against the device manifest)"
          : f.payloadMatches
            ? "payload present, matches"
            : "payload present, DOES NOT MATCH the signed length/hash";
      return `  ${f.name}  ${f.length} bytes  sha256 ${f.sha256}  ${payload}${f.userManifest ? "  (user manifest: stored in the device manifest, not installed)" : ""}`;
    }),
  );
  if (report.unlistedPayloads.length) {
    lines.push(`payloads not listed in the signed metadata (ignored by the device): ${report.unlistedPayloads.join(", ")}`);
  }
  if (!report.deviceOrder) {
    lines.push("field order: NOT the device's (it needs root, then targets metadata, then payloads; plain protobuf/Pigweed encoders write the root last): `airlock bundle reorder` rewrites it (`sim update` and `bundle verify` reorder as they send)");
  }
  const source = t.keySource === null ? "no root to check them against; pass --root ROOT" : `checked against the ${t.keySource}`;
  lines.push(...formatSignatures(t.signatures, "", source));
  if (t.threshold !== null) {
    lines.push(`targets threshold: ${t.thresholdMet ? "met" : "NOT met"} (${t.validSignatures} valid of ${t.threshold} needed)`);
  }
  return lines.join("\n") + "\n";
}

function formatSignatures(signatures: SignatureCheck[], indent: string, note?: string): string[] {
  const header = `${indent}signatures (${signatures.length})${note ? `, ${note}` : ""}:`;
  if (signatures.length === 0) return [`${header} none`];
  return [header, ...signatures.map((s) => `${indent}  ${s.keyId}  ${SIGNATURE_STATUS[s.status]}`)];
}
