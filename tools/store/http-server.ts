// `airlock store serve DIR`: the artifact store over HTTP, read-only. GET and HEAD of
// /objects/sha256/<hex> and nothing else (any other method: 405, any other path: 404), so the
// service cannot be made to write or to read outside its objects. Every object is checked against
// its name before it is sent (a damaged one is a 500, never served), carries its digest as ETag,
// and is cacheable forever (immutable). A single byte range (RFC 9110 "Range: bytes=a-b") is
// answered with 206, so downloads can resume.
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

const OBJECT_PATH = new RegExp(`^/${OBJECTS_DIR}/([^/]+)$`);

export function serveStore(store: ArtifactStore, options: ServeOptions): Promise<StoreServer> {
  const server = createServer((req, res) => {
    const status = answer(store, req, res);
    options.log?.(`${req.method} ${req.url} ${status}`);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : options.port;
      resolve({
        server,
        url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

function answer(store: ArtifactStore, req: IncomingMessage, res: ServerResponse): number {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return plain(res, 405, "the artifact store is read-only here: GET or HEAD only\n", { Allow: "GET, HEAD" });
  }
  const path = (req.url ?? "/").split("?")[0]!;
  const match = OBJECT_PATH.exec(path);
  if (!match || !SHA256_HEX.test(match[1]!) || !store.has(match[1]!)) {
    return plain(res, 404, `no such object: ask for /${OBJECTS_DIR}/<sha256 hex>\n`);
  }
  let bytes: Uint8Array;
  try {
    bytes = store.get(match[1]!);
  } catch (err) {
    return plain(res, 500, `${err instanceof AirlockError ? err.message : "the object could not be read"}\n`);
  }
  const headers: Record<string, string> = {
    "Content-Type": "application/octet-stream",
    ETag: `"${match[1]}"`,
    "Cache-Control": "public, max-age=31536000, immutable",
    "Accept-Ranges": "bytes",
  };
  const range = parseRange(req.headers.range, bytes.length);
  if (range === "unsatisfiable") {
    return plain(res, 416, "the range lies outside the object\n", { "Content-Range": `bytes */${bytes.length}` });
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
