// The content-addressed artifact store (DESIGN.md: tools/store/): objects by SHA-256 in a
// directory, and a read-only HTTP server for it.
export { ArtifactStore, OBJECTS_DIR, SHA256_HEX, sha256Hex, type StoredObject } from "./object-store.js";
export { serveStore, type ServeOptions, type StoreServer } from "./http-server.js";
