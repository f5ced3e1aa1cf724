// airlock signer ...: the signing service's verbs: `serve` (the HTTP service under a policy),
// `token create` (an identity's bearer token, shown once, kept hashed), `approve` and `show` (an
// approver's view of a request, in plain words), `watch` (Pigweed's remote-sign queue under the
// same policy), `hsm keygen|list` (its keys on a PKCS#11 token, signer-hsm.ts), and `audit verify`
// (the hash-chained log).
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { InputError, readInput, RejectedError } from "../../format/index.js";
import {
  createToken, loadPolicy, openKeyring, pigweedQueueSigner, readClientToken, readTokenHashes, serveSigner, SignerClient, SigningService, verifyAuditText,
  type Policy, type RemoteOutcome,
} from "../../signer/index.js";
import type { CliIo } from "../io.js";
import { eventPrinter, untilStopped } from "./service.js";
import { registerSignerHsm } from "./signer-hsm.js";
import { registerSignerWatch } from "./signer-watch.js";

// The simulator's board files load only for `serve` (the rules need the boards' slot sizes).
const simulator = () => import("../../../host-sim/index.js");

/** The service under a policy: its keys opened, the boards' slot sizes for re-running rules. */
async function openService(policy: Policy): Promise<SigningService> {
  const sim = await simulator();
  const slotsOf = (board: string) => Object.fromEntries(sim.boardNamed(board).partitions.targets.map((t) => [t.name, t.slotSize]));
  return new SigningService({ policy, keys: await openKeyring(policy), slotsOf });
}

function printOutcome(io: CliIo, outcome: RemoteOutcome, json: boolean | undefined): void {
  if (json) {
    io.out(`${JSON.stringify({ ...outcome, file: undefined })}\n`);
    return;
  }
  io.out(`request ${outcome.requestId} (${outcome.kind}, key "${outcome.key}"): ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ""}\n`);
  for (const line of outcome.summary) io.out(`  ${line}\n`);
  io.out(`  approvals: ${outcome.approvals.length} of ${outcome.needed}${outcome.approvals.length ? ` (${outcome.approvals.join(", ")})` : ""}\n`);
}

const remoteOptions = (command: Command) =>
  command
    .requiredOption("--remote <url>", "the signing service (airlock signer serve)")
    .option("--token-file <file>", "your bearer token (mode 600); or set AIRLOCK_SIGNER_TOKEN")
    .option("--json", "print the request as one JSON object");

export function registerSigner(program: Command, io: CliIo): void {
  const signer = program.command("signer").description("the signing service: serve it, make tokens, approve requests, verify its audit log");

  signer
    .command("serve")
    .description("run the signing service under a policy file (checked whole at start; Ctrl-C stops it)")
    .requiredOption("--config <policy>", "the policy file (YAML): keys, builders, identities, products, grants, approvals")
    .option("--listen <host:port>", "override the policy's service.listen (port 0 picks a free one)")
    .option("--json", "print one JSON line per event")
    .action(async (options: { config: string; listen?: string; json?: boolean }) => {
      const say = eventPrinter(io, options.json);
      const policy = loadPolicy(options.config);
      if (options.listen !== undefined) {
        const at = options.listen.lastIndexOf(":");
        const port = Number(options.listen.slice(at + 1));
        if (at <= 0 || !Number.isInteger(port) || port > 65535) throw new InputError(`--listen ${options.listen}: expected HOST:PORT`);
        policy.service.listen = { host: options.listen.slice(0, at), port };
      }
      const tokens = readTokenHashes(policy.service.tokens);
      const service = await openService(policy);
      let handle;
      try {
        handle = await serveSigner({ service, tokens, maxBodyBytes: policy.service.maxBodyBytes, host: policy.service.listen.host, port: policy.service.listen.port, log: (line) => say("request", line) });
      } catch (err) {
        service.close();
        const code = (err as NodeJS.ErrnoException).code;
        throw new InputError(`cannot listen on ${policy.service.listen.host}:${policy.service.listen.port} (${code ?? String(err)}): pick another port (--listen)`);
      }
      if (!["127.0.0.1", "::1", "localhost"].includes(policy.service.listen.host)) {
        io.err(`warning: serving plain HTTP on ${policy.service.listen.host}: bearer tokens and bundles cross the network in clear; put a TLS reverse proxy in front\n`);
      }
      say("listening", `signing service at ${handle.url} (OpenAPI: ${handle.url}/openapi.json), ${Object.keys(policy.keys).length} key(s), ${Object.keys(tokens).length} identity token(s), pid ${process.pid}`, { url: handle.url, pid: process.pid });
      await untilStopped(async () => {
        await handle.close();
        service.close();
      });
      say("stopped", "stopped");
    });

  signer
    .command("token")
    .description("bearer tokens of the service's identities")
    .command("create")
    .description("make IDENTITY a new token (replacing its old one): the service keeps its hash, the token is written once to --output")
    .argument("<identity>", "an identity of the policy")
    .requiredOption("--tokens <file>", "the service's tokens file (service.tokens in the policy)")
    .requiredOption("-o, --output <file>", "where the token goes (mode 600), for the identity to use with --token-file")
    .action((identity: string, options: { tokens: string; output: string }) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(identity)) throw new InputError(`identity ${JSON.stringify(identity)}: letters, digits, . _ - only`);
      const token = createToken(options.tokens, identity);
      try {
        writeFileSync(options.output, `${token}\n`, { mode: 0o600, flag: "wx" });
      } catch (err) {
        throw new InputError(`cannot write ${options.output} (${(err as NodeJS.ErrnoException).code}): it must not exist yet`);
      }
      io.out(`wrote a token for ${identity} to ${options.output} (mode 600); ${options.tokens} keeps only its SHA-256\n`);
    });

  registerSignerWatch(signer, io, async (options) => {
    const buildType = options.buildType as string;
    if (buildType !== "eng" && buildType !== "user") throw new InputError(`--build-type ${buildType}: expected eng or user`);
    const service = await openService(loadPolicy(options.config as string));
    process.once("exit", () => service.close());
    return pigweedQueueSigner(service, options.product as string, buildType);
  })
    .requiredOption("--config <policy>", "the signing service's policy file (the same as signer serve's)")
    .requiredOption("--product <name>", "the product this queue's builds are (Pigweed's requests name none)")
    .option("--build-type <type>", "the build type of this queue's builds: eng or user (keys needing provenance refuse them)", "eng");

  remoteOptions(
    signer
      .command("approve")
      .description("approve a pending request: prints what it signs, in plain words, then counts your approval (once)")
      .argument("<request>", "the request ID"),
  ).action(async (requestId: string, options: { remote: string; tokenFile?: string; json?: boolean }) => {
    const client = new SignerClient(options.remote, readClientToken(options.tokenFile));
    const before = await client.status(requestId);
    if (!options.json) printOutcome(io, before, false);
    if (before.status !== "pending") throw new RejectedError(`request ${requestId} is ${before.status}, not waiting for approvals`);
    const after = await client.approve(requestId);
    if (options.json) printOutcome(io, after, true);
    else io.out(`approved: ${after.approvals.length} of ${after.needed}; the request is ${after.status}\n`);
  });

  remoteOptions(signer.command("show").description("show a request: its summary, approvals and status").argument("<request>", "the request ID")).action(
    async (requestId: string, options: { remote: string; tokenFile?: string; json?: boolean }) => {
      printOutcome(io, await new SignerClient(options.remote, readClientToken(options.tokenFile)).status(requestId), options.json);
    },
  );

  registerSignerHsm(signer, io);

  const audit = signer.command("audit").description("the service's append-only, hash-chained audit log");
  audit
    .command("verify")
    .description("check every entry's hash and the chain between them (exit 1 on any edit, drop or reorder)")
    .argument("<log>", "the audit log (JSON Lines)")
    .option("--head <sha256>", "the head hash the service last reported: also catches entries cut off the end")
    .option("--json", "print {ok, entries, head} (and line, problem when not ok)")
    .action((log: string, options: { head?: string; json?: boolean }) => {
      const text = Buffer.from(readInput(log, "the audit log", { emptyAllowed: true })).toString("utf8");
      const verdict = verifyAuditText(text, options.head?.toLowerCase());
      if (options.json) io.out(`${JSON.stringify(verdict)}\n`);
      if (!verdict.ok) throw new RejectedError(`${log} line ${verdict.line}: ${verdict.problem}`);
      if (!options.json) io.out(`${log}: ${verdict.entries} entries, chain intact, head ${verdict.head}\n`);
    });
}
