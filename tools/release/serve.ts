// `airlock release serve DIR`: the repository over HTTP for development, through tools/store's
// static server (any other static server does as well: a test serves the same directory with
// nginx). Objects are checked against their names and cacheable forever; channel indexes must be
// revalidated by every cache, or a CDN could keep devices on an old release until it expires.
import { readFileSync } from "node:fs";
import { objectAnswer, serveStatic, type ServeOptions, type StaticAnswer, type StoreServer } from "../store/index.js";
import { CHANNEL_INDEX_FILE } from "./channel-index.js";
import type { ReleaseRepository } from "./repository.js";

export function serveRelease(repository: ReleaseRepository, options: ServeOptions): Promise<StoreServer> {
  return serveStatic((path) => objectAnswer(repository.objects, path) ?? channelAnswer(repository, path), options);
}

function channelAnswer(repository: ReleaseRepository, path: string): StaticAnswer {
  const match = CHANNEL_INDEX_FILE.exec(path.replace(/^\//, ""));
  if (match) {
    try {
      return { bytes: readFileSync(repository.indexFile(match[1]!)), contentType: "application/json", cacheControl: "no-cache" };
    } catch {
      // absent: the same 404 as any unknown path
    }
  }
  return { status: 404, text: "not in the release repository: /channels/<channel>.json or /objects/sha256/<sha256 hex>\n" };
}
