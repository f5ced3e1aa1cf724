// airlock signer ...: the signing service's verbs. So far `signer audit verify`, which checks the
// service's hash-chained audit log (tools/signer/) for edited, dropped, reordered or cut entries,
// and `signer hsm keygen|list` for its keys on a PKCS#11 token (signer-hsm.ts).
import type { Command } from "commander";
import { readInput, RejectedError } from "../../format/index.js";
import { verifyAuditText } from "../../signer/index.js";
import type { CliIo } from "../io.js";
import { registerSignerHsm } from "./signer-hsm.js";

export function registerSigner(program: Command, io: CliIo): void {
  const signer = program.command("signer").description("the signing service: its audit log and its keys on PKCS#11 tokens");
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
