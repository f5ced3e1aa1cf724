// The source revision a build ran from, for its provenance: the git commit of the checkout that
// holds the build description, and where that repository lives. A description outside any git
// checkout has none (provenance then names no source, rather than a guessed one); a checkout
// with uncommitted changes is reported too, since its commit does not describe the bytes.
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export interface SourceRevision {
  uri: string;
  commit: string;
  /** Uncommitted changes to tracked files at build time. */
  dirty: boolean;
}

function git(dir: string, args: string[]): string | undefined {
  const run = spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

export function sourceRevisionOf(descriptionPath: string): SourceRevision | undefined {
  const dir = dirname(resolve(descriptionPath));
  const commit = git(dir, ["rev-parse", "--verify", "HEAD"]);
  const top = git(dir, ["rev-parse", "--show-toplevel"]);
  if (!commit || !top) return undefined;
  const remote = git(dir, ["config", "--get", "remote.origin.url"]);
  const dirty = (git(dir, ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  return { uri: `git+${remote ?? pathToFileURL(top).href}`, commit, dirty };
}
