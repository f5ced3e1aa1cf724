// The content-addressed artifact store (DESIGN.md: tools/store/): objects by SHA-256 in a
// directory, and read-only HTTP for it (and for other directories of static files).
export { ArtifactStore, OBJECTS_DIR, SHA256_HEX, sha256Hex, syncDirectory, type StoredObject } from "./object-store.js";
export { objectAnswer, serveStatic, serveStore, type ServeOptions, type StaticAnswer, type StaticResolver, type StoreServer } from "./http-server.js";
