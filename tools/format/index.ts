// The host's format library: keys (PEM, Ed25519 and P-256), root and targets metadata, bundles and
// manifests (build, parse, sign, inspect), the error classes every host tool reports with, and
// file I/O whose errors name the file. Every folder above imports this entry, never a file in it.
export * from "./errors.js";
export * from "./files.js";
export * from "./keys.js";
export * from "./proto.js";
export * from "./metadata.js";
export * from "./targets.js";
export * from "./root.js";
export * from "./bundle.js";
export * from "./bundle-file.js";
export * from "./manifest.js";
export * from "./yaml-config.js";
export * from "./yaml-lines.js";
