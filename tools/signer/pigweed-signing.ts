// What the signing service does with a request from Pigweed's remote-sign queue: the builder key
// that signed it must be a listed builder's, and that builder's name is the identity the policy's
// grants must allow. The protocol carries no product, build type or provenance, so the watcher
// serves one product and build type (its command line), and only keys that sign without
// provenance can sign from it: production keys refuse, as they must without an endorsed build.
// Each key the request names signs in turn, as its own service request with an ID derived from
// the request and bundle bytes, so a request processed again gets the stored outcome.
import { createHash, randomBytes } from "node:crypto";
import { RejectedError } from "../format/index.js";
import type { PigweedSigningRequest } from "./pigweed-queue.js";
import type { BuildType } from "./policy.js";
import type { SigningService } from "./service.js";

export function pigweedQueueSigner(service: SigningService, product: string, buildType: BuildType): (request: PigweedSigningRequest) => Promise<Uint8Array> {
  return async (request) => {
    const identity = service.builderNamed(request.builderPublicKey.fingerprint);
    if (!identity) throw new RejectedError(`builder key sha256:${request.builderPublicKey.fingerprint} is not one of the policy's builders`);
    const base = createHash("sha256").update(request.requestBytes).update(request.bundle).digest("hex").slice(0, 40);
    let bundle = request.bundle;
    for (const key of request.keyNames) {
      const requestId = `pigweed-${base}-${key}`.slice(0, 128);
      const body = { requestId, key, product, buildType, bundle: createHash("sha256").update(bundle).digest("hex") };
      const outcome = await service.requestTargets(identity, {
        requestId, key, product, buildType, bundle,
        nonce: randomBytes(18).toString("base64url"),
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      }, createHash("sha256").update(JSON.stringify(body)).digest("hex"));
      if (outcome.status !== "signed" || !outcome.file) throw new RejectedError(`key "${key}": ${outcome.reason ?? `the request is ${outcome.status} (approvals go through the HTTP API)`}`);
      bundle = outcome.file;
    }
    return bundle;
  };
}
