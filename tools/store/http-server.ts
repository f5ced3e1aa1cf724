// Read-only HTTP for directories of static files: the artifact store (`airlock store serve`) and
// the release repository (`airlock release serve`) answer through the same code. GET and HEAD
// only (any other method: 405); what a path means is the caller's `resolve`, so a server can never
// be made to read outside what that function names (anything else: 404). A single byte range
// (RFC 9110 "Range: bytes=a-b") is answered with 206, so downloads can resume.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AirlockError } from "../format/index.js";
import { ArtifactStore, OBJECTS_DIR, SHA256_HEX } from "./object-store.js";

export interface StoreServer {
  server: Server;
  /** The URL the store answers at, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  /** Called once per request with its outcome, for the operator's log. */
  log?: (line: string) => void;
}

/** What a path names: bytes with their headers, or a refusal with its status and text. */
export type StaticAnswer =
  | { bytes: Uint8Array; contentType: string; etag?: string; cacheControl: string }
  | { status: 404 | 500; text: string };

/** Maps a URL path (query removed) to its answer; throws only on a bug. */
export type StaticResolver = (path: string) => StaticAnswer;

const OBJECT_PATH = new RegExp(`^/${OBJECTS_DIR}/([^/]+)$`);

/** The answer for /objects/sha256/<hex>, checked against its name: a damaged object is a 500, never served. */
export function objectAnswer(store: ArtifactStore, path: string): StaticAnswer | undefined {
  const match = OBJECT_PATH.exec(path);
  if (!match) return undefined;
  if (!SHA256_HEX.test(match[1]!) || !store.has(match[1]!)) return { status: 404, text: `no such object: ask for /${OBJECTS_DIR}/<sha256 hex>\n` };
  try {
    // Immutable by construction: the name is the digest, so caches may keep it forever.
    return { bytes: store.get(match[1]!), contentType: "application/octet-stream", etag: `"${match[1]}"`, cacheControl: "public, max-age=31536000, immutable" };
  } catch (err) {
    return { status: 500, text: `${err instanceof AirlockError ? err.message : "the object could not be read"}\n` };
  }
}

export function serveStore(store: ArtifactStore, options: ServeOptions): Promise<StoreServer> {
  return serveStatic((path) => objectAnswer(store, path) ?? { status: 404, text: `no such object: ask for /${OBJECTS_DIR}/<sha256 hex>\n` }, options);
}

export function serveStatic(resolve: StaticResolver, options: ServeOptions): Promise<StoreServer> {
  const server = createServer((req, res) => {
    const status = answer(resolve, req, res);
    options.log?.(`${req.method} ${req.url} ${status}`);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolvePromise({
        server,
        url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

function answer(resolve: StaticResolver, req: IncomingMessage, res: ServerResponse): number {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return plain(res, 405, "read-only here: GET or HEAD only\n", { Allow: "GET, HEAD" });
  }
  const found = resolve((req.url ?? "/").split("?")[0]!);
  if ("status" in found) return plain(res, found.status, found.text);
  const bytes = found.bytes;
  const headers: Record<string, string> = {
    "Content-Type": found.contentType,
    "Cache-Control": found.cacheControl,
    "Accept-Ranges": "bytes",
    ...(found.etag ? { ETag: found.etag } : {}),
  };
  const range = parseRange(req.headers.range, bytes.length);
  if (range === "unsatisfiable") {
    return plain(res, 416, "the range lies outside the file\n", { "Content-Range": `bytes */${bytes.length}` });
  }
  let status = 200;
  let body = bytes;
  if (range) {
    status = 206;
    body = bytes.subarray(range.start, range.end + 1);
    headers["Content-Range"] = `bytes ${range.start}-${range.end}/${bytes.length}`;
  }
  headers["Content-Length"] = String(body.length);
  res.writeHead(status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
  return status;
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else is ignored (whole object). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): number {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)), ...extra });
  res.end(text);
  return status;
}
