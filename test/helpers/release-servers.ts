// Web servers for the release tests: `airlock release serve` as its own process, nginx (a
// static server airlock did not write) with a throwaway config, and a raw file server that
// misbehaves on purpose (breaks connections, answers 500, serves whatever bytes are on disk).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, connect } from "node:net";
import { join, normalize } from "node:path";
import { BIN } from "./cli-run.js";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** `airlock release serve DIR --listen 127.0.0.1:0` as a child process; its URL from its first JSON line. */
export function startReleaseServe(dir: string): Promise<RunningServer> {
  const child = spawn(process.execPath, [BIN, "release", "serve", dir, "--listen", "127.0.0.1:0", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    child.once("exit", (code) => reject(new Error(`release serve exited ${code}: ${err}`)));
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const line = out.split("\n").find((l) => l.includes('"listening"'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, close: () => stopChild(child) });
    });
  });
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port} within 10 s: ${log()}`);
}

/**
 * nginx in the foreground serving `root` on a free loopback port, everything it writes (pid,
 * logs, temporary files) under `prefix`. Channel indexes get Cache-Control: no-cache, as a
 * deployment should configure them.
 */
export async function startNginx(root: string, prefix: string): Promise<RunningServer> {
  const port = await freePort();
  mkdirSync(join(prefix, "tmp"), { recursive: true });
  const conf = join(prefix, "nginx.conf");
  // nginx refuses `user` unless it runs as root; as root it would drop to "nobody", who may not read the test's files.
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  writeFileSync(conf, `${user}worker_processes 1;
error_log ${prefix}/error.log;
pid ${prefix}/nginx.pid;
events { worker_connections 64; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  types { application/json json; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location /channels/ { add_header Cache-Control no-cache; }
  }
}
`);
  const child = spawn("nginx", ["-c", conf, "-p", prefix, "-e", join(prefix, "error.log"), "-g", "daemon off;"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  const log = () => `${output}${existsSync(join(prefix, "error.log")) ? readFileSync(join(prefix, "error.log"), "utf8") : ""}`;
  await waitForPort(port, child, log);
  return { url: `http://127.0.0.1:${port}`, close: () => stopChild(child) };
}

/** What the misbehaving server does to a request (the n-th, 1-based, counted per path). */
export interface Fault {
  /** Answer 500 to this request instead. */
  fail500?: (path: string, n: number) => boolean;
  /** Send the headers of the whole answer, then only this many body bytes, then drop the connection. */
  cutAfter?: (path: string, n: number) => number | undefined;
  /** Send the headers and this many body bytes, then nothing more on a connection kept open (a stalled server). */
  stallAfter?: (path: string, n: number) => number | undefined;
  /** Send no Content-Length (chunked), so only the body's end says how long it was. */
  chunked?: boolean;
}

/** Serves the files under `root` as they are on disk (no digest checks), with single byte ranges, misbehaving as `fault` says. */
export async function faultyServer(root: string, fault: Fault = {}): Promise<RunningServer & { requests: string[] }> {
  const counts = new Map<string, number>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    requests.push(`${req.headers.range ?? "GET"} ${path}`);
    const file = join(root, normalize(path));
    if (!file.startsWith(root) || !existsSync(file)) return res.writeHead(404).end();
    if (fault.fail500?.(path, n)) return res.writeHead(500).end("broken on purpose");
    const bytes = readFileSync(file);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    const body = bytes.subarray(start);
    const headers: Record<string, string> = fault.chunked ? {} : { "Content-Length": String(body.length) };
    if (range) headers["Content-Range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    res.writeHead(range ? 206 : 200, headers);
    const stall = fault.stallAfter?.(path, n);
    if (stall !== undefined) return void res.write(body.subarray(0, stall));
    const cut = fault.cutAfter?.(path, n);
    if (cut === undefined) return res.end(body);
    res.write(body.subarray(0, cut), () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
