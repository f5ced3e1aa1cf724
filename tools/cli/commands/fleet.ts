// airlock fleet ...: the rollout service (tools/fleet/). `serve` runs it; `token create` and
// `enroll-secret create` work on the database directly (the bootstrap, before any operator token
// exists); `rollout ...` and `devices ...` are operators' verbs against a running service.
import { writeFileSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { InputError, loadPublicKey, readInput } from "../../format/index.js";
import { requirePrivateFile } from "../../signer/index.js";
import {
  DEFAULT_DATABASE, DEFAULT_POLL_SECONDS, DEFAULT_POLICY, DEFAULT_TICK_SECONDS, FleetClient, ROLES, createEnrollSecret, createOperatorToken, openDatabase, parseVersionQuery,
  parseWaves, requireName, serveFleet, systemClock, type CreateRollout, type Role, type RolloutView,
} from "../../fleet/index.js";
import type { CliIo } from "../io.js";
import { collect, integer, tcpAddress } from "./options.js";
import { registerFleetSimulate } from "./fleet-simulate.js";
import { registerFleetGateway } from "./fleet-gateway.js";
import { eventPrinter, listenOrExplain, untilStopped } from "./service.js";

const DB_OPTION = ["--db <url>", `the database: a SQLite file, or postgres://USER:PASS@HOST/DB (default ${DEFAULT_DATABASE})`, DEFAULT_DATABASE] as const;
const TOKEN_ENV = "AIRLOCK_FLEET_TOKEN";

/** A duration: 90s, 30m, 2h, 1d, or plain milliseconds (1500ms). */
export function duration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new InvalidArgumentError("expected a duration such as 90s, 30m, 2h or 1d");
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "ms"];
}

function percent(text: string): number {
  const match = /^(\d{1,3}(?:\.\d+)?)%?$/.exec(text);
  if (!match || Number(match[1]) > 100) throw new InvalidArgumentError("expected a percentage from 0 to 100, such as 5 or 5%");
  return Number(match[1]);
}

/** Writes a secret once to a new private file. */
function writeSecret(path: string, secret: string): void {
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    throw new InputError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code}): it must not exist yet`);
  }
}

function readToken(tokenFile: string | undefined): string {
  if (tokenFile !== undefined) {
    const text = Buffer.from(readInput(tokenFile, "token file")).toString("utf8").trim();
    requirePrivateFile(tokenFile, "the token file");
    if (!text) throw new InputError(`${tokenFile} is empty: make a token with \`airlock fleet token create\``);
    return text;
  }
  const token = process.env[TOKEN_ENV];
  if (!token) throw new InputError(`no operator token: give --token-file FILE (mode 600) or set ${TOKEN_ENV}`);
  return token;
}

/** --remote, --token-file, --json. `required: false` for a command with verbs under it (commander
 * checks a parent's required options for its verbs too): its action checks --remote itself. */
const remote = (command: Command, required = true) =>
  (required ? command.requiredOption("--remote <url>", "the rollout service (airlock fleet serve)") : command.option("--remote <url>", "the rollout service (airlock fleet serve)"))
    .option("--token-file <file>", `your operator token (mode 600); or set ${TOKEN_ENV}`)
    .option("--json", "print the answer as one JSON object");

type Remote = { remote: string; tokenFile?: string; json?: boolean };

function requireRemote<T extends Partial<Remote>>(options: T): T & Remote {
  if (!options.remote) throw new InputError("required option '--remote <url>' not specified: the rollout service (airlock fleet serve)");
  return options as T & Remote;
}

const definedOnly = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const clientOf = (o: Remote) => new FleetClient(o.remote, readToken(o.tokenFile));

function printRollout(io: CliIo, view: RolloutView): void {
  const r = view.rollout;
  io.out(`rollout ${r.id} "${r.name}": ${r.state}${r.stateReason ? ` (${r.stateReason})` : ""}${r.emergency ? ", EMERGENCY" : ""}\n`);
  io.out(`  release: ${r.product} targets v${r.targetsVersion} (hardware ${r.releaseHardwareId ?? "any"}) from channel ${r.channel} index v${r.indexVersion}, bundle sha256 ${r.bundle.sha256} (${r.bundle.size} bytes)\n`);
  io.out(`  policy: success ${r.policy.successPercent}%, pause above ${r.policy.errorPercent}% failed, soak ${r.policy.soakMs / 1000} s, device timeout ${r.policy.deviceTimeoutMs / 1000} s; created by ${r.createdBy}\n`);
  for (const w of view.waves) {
    const c = w.counts;
    const what = w.groups ? `groups ${w.groups.join("+")}` : `${w.percent}%`;
    const marker = w.number === r.currentWave && (r.state === "running" || r.state === "paused") ? " <- current" : "";
    io.out(`  wave ${w.number + 1} (${what}, ${w.capped ? `${w.size} device${w.size === 1 ? "" : "s"}` : `${w.size}+ devices`}): ${c.installed} installed, ${c.assigned + c.downloading + c.installing} in progress, ${c.refused} refused, ${c.reverted} reverted, ${c.timed_out} timed out, ${c.cancelled} withdrawn${w.succeededAt !== null ? ", threshold met" : ""}${marker}\n`);
  }
  for (const a of view.failing.slice(0, 10)) io.out(`  failed: ${a.deviceId} ${a.state}${a.errorCode ? ` ${a.errorCode}` : ""}${a.details ? `: ${a.details}` : ""}\n`);
}

function rolloutId(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new InvalidArgumentError("expected a rollout ID such as 3");
  return Number(text);
}

export function registerFleet(program: Command, io: CliIo): void {
  const fleet = program.command("fleet").description("the rollout service: devices, staged rollouts with thresholds and an emergency stop, operators");

  fleet
    .command("serve")
    .description("run the rollout service: the device API, the operator API and the web console at /console/ (Ctrl-C stops it); migrates the database at start")
    .option(...DB_OPTION)
    .requiredOption("--repo-url <url>", "the release repository's base URL (release serve, nginx, a CDN): channel indexes and bundles")
    .requiredOption("--release-key-pub <pub>", "a trusted release public key (SPKI PEM) for the channel indexes; repeat for several", collect)
    .option("--listen <host:port>", "where to listen (port 0 picks a free one)", tcpAddress, { host: "127.0.0.1", port: 8490 })
    .option("--public-url <url>", "the service's URL as devices reach it (for links); default: from each request's Host")
    .option("--poll-seconds <n>", `how often devices are told to check in (default ${DEFAULT_POLL_SECONDS})`, integer)
    .option("--tick-seconds <n>", `how often live rollouts are evaluated without any device speaking (default ${DEFAULT_TICK_SECONDS})`, integer)
    .option("--json", "print one JSON line per event")
    .action(async (options: { db: string; repoUrl: string; releaseKeyPub: string[]; listen: { host: string; port: number }; publicUrl?: string; pollSeconds?: number; tickSeconds?: number; json?: boolean }) => {
      const say = eventPrinter(io, options.json);
      if (!/^https?:\/\//.test(options.repoUrl)) throw new InputError(`--repo-url ${options.repoUrl}: expected an http(s) URL`);
      if (options.tickSeconds === 0) throw new InputError("--tick-seconds must be at least 1");
      const releaseKeys = options.releaseKeyPub.map((path) => loadPublicKey(path));
      const server = await serveFleet({
        db: options.db, repoUrl: options.repoUrl, releaseKeys, host: options.listen.host, port: options.listen.port,
        pollSeconds: options.pollSeconds, tickSeconds: options.tickSeconds, publicUrl: options.publicUrl, log: (line) => say("log", line),
      }).catch((err: NodeJS.ErrnoException) => {
        // A database or migration failure speaks for itself; a listening one gets the fix.
        if (!["EADDRINUSE", "EACCES", "EADDRNOTAVAIL"].includes(err.code ?? "")) throw err;
        return listenOrExplain(options.listen, () => Promise.reject(err));
      });
      if (!["127.0.0.1", "::1", "localhost"].includes(options.listen.host)) {
        io.err(`warning: serving plain HTTP on ${options.listen.host}: device and operator tokens cross the network in clear; put a TLS reverse proxy in front\n`);
      }
      say("listening", `rollout service at ${server.url} (${server.driver.kind} ${server.driver.where}, schema v${server.migrations.version}${server.migrations.applied.length ? `, migrated ${server.migrations.applied.join(", ")}` : ""}; console ${server.url}/console/, OpenAPI ${server.url}/openapi.json), pid ${process.pid}`, {
        url: server.url, console: `${server.url}/console/`, pid: process.pid, database: server.driver.kind, migrated: server.migrations.applied,
      });
      await untilStopped(() => server.close());
      say("stopped", "stopped");
    });

  fleet
    .command("migrate")
    .description("bring the database to the newest schema (fleet serve does this at start) and print what was applied")
    .option(...DB_OPTION)
    .option("--json", "print {applied, version}")
    .action(async (options: { db: string; json?: boolean }) => {
      const { driver, migrations } = await openDatabase(options.db);
      await driver.close();
      io.out(options.json ? `${JSON.stringify(migrations)}\n` : `${driver.where}: schema v${migrations.version}${migrations.applied.length ? ` (applied ${migrations.applied.join(", ")})` : " (already up to date)"}\n`);
    });

  fleet
    .command("token")
    .description("operators' bearer tokens (kept hashed in the database)")
    .command("create")
    .description("make NAME a new token with a role (replacing its old one), written once to --output; needs the database itself")
    .argument("<name>", "the operator's name, as the audit trail shows it")
    .option(...DB_OPTION)
    .requiredOption("--role <role>", `${ROLES.join(" or ")} (viewers only read)`)
    .requiredOption("-o, --output <file>", "where the token goes (mode 600), for --token-file")
    .action(async (name: string, options: { db: string; role: string; output: string }) => {
      requireName(name, "operator name");
      if (!ROLES.includes(options.role as Role)) throw new InputError(`--role ${options.role}: ${ROLES.join(" or ")}`);
      const { driver } = await openDatabase(options.db);
      try {
        const { token, replaced } = await createOperatorToken(driver, systemClock, `cli:${process.env.USER ?? "unknown"}`, name, options.role as Role);
        writeSecret(options.output, token);
        io.out(`wrote ${options.role === "operator" ? "an" : "a"} ${options.role} token for ${name} to ${options.output} (mode 600)${replaced ? ", replacing the old one" : ""}; the database keeps only its SHA-256\n`);
      } finally {
        await driver.close();
      }
    });

  fleet
    .command("enroll-secret")
    .description("products' enrollment secrets: an unknown device enrolls only with its product's")
    .command("create")
    .description("make PRODUCT a new enrollment secret (replacing its old one), written once to --output; needs the database itself")
    .argument("<product>", "the product")
    .option(...DB_OPTION)
    .requiredOption("-o, --output <file>", "where the secret goes (mode 600), for provisioning devices")
    .action(async (product: string, options: { db: string; output: string }) => {
      requireName(product, "product");
      const { driver } = await openDatabase(options.db);
      try {
        const { secret, replaced } = await createEnrollSecret(driver, systemClock, `cli:${process.env.USER ?? "unknown"}`, product);
        writeSecret(options.output, secret);
        io.out(`wrote ${product}'s enrollment secret to ${options.output} (mode 600)${replaced ? "; the old one no longer enrolls devices" : ""}\n`);
      } finally {
        await driver.close();
      }
    });

  const rollout = fleet.command("rollout").description("staged rollouts: create, pause, resume, cancel, stop (emergency), show");

  remote(rollout.command("create").description("roll a channel's current release (checked against its signed index) out to a target set in waves"))
    .requiredOption("--channel <channel>", "the channel whose current release goes out")
    .requiredOption("--product <product>", "the product")
    .option("--hardware <id>", "the release for this hardware ID, and only devices of it")
    .option("--sha256 <hex>", "the bundle you mean: refused if the index names another")
    .option("--name <text>", "a name for people")
    .option("--group <name>", "only devices in this group (repeat: in any of them)", collect)
    .option("--versions <query>", `only devices whose targets version matches, e.g. "<5" or ">=2 <5"`)
    .option("--waves <list>", "waves: cumulative percentages and fixed groups, e.g. group:canary,10%,50%,100% (default 100%)")
    .option("--success <percent>", `a wave succeeds at this share installed (default ${DEFAULT_POLICY.successPercent}%)`, percent)
    .option("--error <percent>", `pause when more than this share of a wave failed (default ${DEFAULT_POLICY.errorPercent}%)`, percent)
    .option("--soak <duration>", `minimum time a wave runs after its threshold before the next (default ${DEFAULT_POLICY.soakMs / 60_000}m)`, duration)
    .option("--device-timeout <duration>", `a device not done this long after assignment counts as failed (default ${DEFAULT_POLICY.deviceTimeoutMs / 60_000}m)`, duration)
    .option("--emergency", "an emergency release: one wave for the whole target set, no soak (the bundle still comes from the signed index)")
    .action(async (options: Remote & { channel: string; product: string; hardware?: string; sha256?: string; name?: string; group?: string[]; versions?: string; waves?: string; success?: number; error?: number; soak?: number; deviceTimeout?: number; emergency?: boolean }) => {
      if (options.emergency && options.waves) throw new InputError("--emergency skips waves: give --waves or --emergency, not both");
      if (options.versions !== undefined) parseVersionQuery(options.versions);
      const request: CreateRollout = {
        channel: options.channel, product: options.product, hardwareId: options.hardware, expectSha256: options.sha256?.toLowerCase(), name: options.name,
        groups: options.group, versions: options.versions, waves: options.waves ? parseWaves(options.waves) : undefined, emergency: options.emergency,
        policy: {
          ...(options.success !== undefined ? { successPercent: options.success } : {}), ...(options.error !== undefined ? { errorPercent: options.error } : {}),
          ...(options.soak !== undefined ? { soakMs: options.soak } : {}), ...(options.deviceTimeout !== undefined ? { deviceTimeoutMs: options.deviceTimeout } : {}),
        },
      };
      const view = await clientOf(options).createRollout(request);
      if (options.json) io.out(`${JSON.stringify(view)}\n`);
      else printRollout(io, view);
    });

  for (const [verb, what] of [["pause", "no device gets anything new until resumed"], ["resume", "a paused rollout goes on (failures so far are accepted)"], ["cancel", "end it: no device gets anything new; devices already given it finish"], ["stop", "EMERGENCY STOP: nothing more for anyone; devices not yet installing are withdrawn"]] as const) {
    remote(rollout.command(verb).description(what).argument("<id>", "the rollout ID", rolloutId))
      .option("--reason <text>", "why (kept in the audit trail)")
      .action(async (id: number, options: Remote & { reason?: string }) => {
        const view = await clientOf(options).change(id, verb, options.reason);
        if (options.json) io.out(`${JSON.stringify(view)}\n`);
        else printRollout(io, view);
      });
  }

  remote(rollout.command("show").description("a rollout with its waves and counts, or every rollout").argument("[id]", "the rollout ID (default: list them all)", rolloutId))
    .action(async (id: number | undefined, options: Remote) => {
      const client = clientOf(options);
      if (id !== undefined) {
        const view = await client.rollout(id);
        return io.out(options.json ? `${JSON.stringify(view)}\n` : (printRollout(io, view), ""));
      }
      const rollouts = await client.rollouts();
      if (options.json) return io.out(`${JSON.stringify({ rollouts })}\n`);
      if (rollouts.length === 0) return io.out("no rollouts yet: airlock fleet rollout create ...\n");
      for (const r of rollouts) io.out(`${r.id}  ${r.state.padEnd(9)}  ${r.product} v${r.targetsVersion} (${r.channel})  wave ${r.currentWave + 1}  "${r.name}"\n`);
    });

  // `devices` and its verbs share --remote/--token-file/--json: commander gives the parent those
  // written after a verb, so each verb reads them from both (withList).
  const devices = remote(fleet.command("devices").description("the device fleet: list and search; set groups; remove"), false)
    .option("--search <text>", "part of a device ID, hardware ID or group name")
    .option("--limit <n>", "at most this many (default 200)", integer)
    .action(async (options: Remote & { search?: string; limit?: number }) => {
      requireRemote(options);
      const list = await clientOf(options).devices(options.search, options.limit);
      if (options.json) return io.out(`${JSON.stringify({ devices: list })}\n`);
      if (list.length === 0) return io.out(options.search ? `no device matches ${JSON.stringify(options.search)}\n` : "no devices enrolled yet\n");
      for (const d of list) io.out(`${d.id}  ${d.product}  ${d.hardwareId}  targets v${d.targetsVersion}  groups ${d.groups.join(",") || "-"}  last seen ${new Date(d.lastSeenAt).toISOString()}\n`);
    });
  const withList = <T extends Remote>(options: T): T => requireRemote({ ...(devices.opts() as Remote), ...definedOnly(options) }) as T;
  remote(devices.command("groups").description("set a device's groups (replacing them)").argument("<device>", "the device ID"), false)
    .requiredOption("--set <groups>", "comma-separated group names (empty: none)")
    .action(async (device: string, given: Remote & { set: string }) => {
      const options = withList(given);
      const groups = options.set.split(",").map((g) => g.trim()).filter(Boolean);
      for (const g of groups) requireName(g, "group");
      await clientOf(options).setGroups(device, groups);
      io.out(options.json ? `${JSON.stringify({ id: device, groups })}\n` : `${device}: groups ${groups.join(",") || "(none)"}\n`);
    });
  registerFleetSimulate(fleet, io);
  registerFleetGateway(fleet, io);

  remote(devices.command("remove").description("forget a device: its token stops working; it may enroll again with the product's secret").argument("<device>", "the device ID"), false)
    .action(async (device: string, given: Remote) => {
      const options = withList(given);
      await clientOf(options).removeDevice(device);
      io.out(options.json ? `${JSON.stringify({ removed: device })}\n` : `removed ${device}\n`);
    });
}
