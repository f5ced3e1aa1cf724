// The signing service over HTTP (fastify): every /v1 route needs a bearer token; bodies are
// checked against the JSON schemas below (which are also the OpenAPI description served at
// /openapi.json) and limited to the policy's maxBodyBytes, so a malformed or oversized request is
// answered 400/413 before any decision code runs. Status codes: 200 signed, 202 waiting for
// approvals, 400 malformed, 401 no valid token, 403 refused, 404 unknown request, 409 conflict
// (a reused request ID, a second approval by the same person), 413 too large.
import { createHash } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import { AirlockError } from "../format/index.js";
import type { DsseEnvelope } from "../build/index.js";
import { Refusal, type Outcome, type SigningService } from "./service.js";
import { identityOfToken, type TokenHashes } from "./tokens.js";

const BASE64 = "^[A-Za-z0-9+/]*={0,2}$";
const freshness = {
  requestId: { type: "string", pattern: "^[A-Za-z0-9._-]{8,128}$", description: "unique per request; a retry with the same ID and body returns the same outcome" },
  nonce: { type: "string", pattern: "^[A-Za-z0-9_-]{16,128}$", description: "random, never reused: a request seen twice is a replay" },
  expiresAt: { type: "string", maxLength: 40, description: "ISO 8601; refused after it, and if further ahead than the policy allows" },
} as const;
const envelope = {
  type: "object",
  required: ["payloadType", "payload", "signatures"],
  properties: {
    payloadType: { type: "string", maxLength: 200 },
    payload: { type: "string", pattern: BASE64 },
    signatures: { type: "array", maxItems: 16, items: { type: "object", required: ["keyid", "sig"], properties: { keyid: { type: "string", maxLength: 200 }, sig: { type: "string", maxLength: 1000 } } } },
  },
} as const;
const targetsBody = {
  type: "object",
  additionalProperties: false,
  required: ["requestId", "nonce", "expiresAt", "key", "product", "bundle"],
  properties: {
    ...freshness,
    key: { type: "string", maxLength: 64 },
    product: { type: "string", maxLength: 32 },
    buildType: { enum: ["eng", "user"] },
    bundle: { type: "string", pattern: BASE64, description: "the bundle, base64" },
    provenance: { ...envelope, description: "the build's DSSE provenance envelope (airlock build's .provenance.json)" },
    qualification: { type: "array", maxItems: 32, items: envelope },
    emergency: { type: "boolean" },
  },
} as const;
const rootBody = {
  type: "object",
  additionalProperties: false,
  required: ["requestId", "nonce", "expiresAt", "key", "root"],
  properties: { ...freshness, key: { type: "string", maxLength: 64 }, root: { type: "string", pattern: BASE64, description: "root metadata, base64" } },
} as const;
const outcome = {
  type: "object",
  properties: {
    requestId: { type: "string" },
    kind: { enum: ["targets", "root"] },
    status: { enum: ["pending", "signing", "signed", "refused"] },
    key: { type: "string" },
    product: { type: "string" },
    digest: { type: "string" },
    reason: { type: "string" },
    approvals: { type: "array", items: { type: "string" } },
    needed: { type: "integer" },
    summary: { type: "array", items: { type: "string" } },
    file: { type: "string", description: "the signed file, base64 (signed requests)" },
  },
} as const;
const error = { type: "object", properties: { error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } } } } as const;
const responses = { 200: outcome, 202: outcome, 400: error, 401: error, 403: error, 404: error, 409: error, 413: error } as const;
const security = [{ bearer: [] }];

function send(reply: FastifyReply, result: Outcome) {
  const body = { ...result, file: result.file && Buffer.from(result.file).toString("base64") };
  return reply.code(result.status === "signed" ? 200 : result.status === "refused" ? 403 : 202).send(body);
}

/**
 * What makes two requests the same request: the body without its freshness fields, so a client
 * resuming a request (same ID, new nonce and expiry) gets its stored outcome.
 */
function bodyHash(request: FastifyRequest): string {
  const { nonce: _nonce, expiresAt: _expiresAt, ...rest } = request.body as Record<string, unknown>;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex");
}

export interface SignerHttpOptions {
  service: SigningService;
  tokens: TokenHashes;
  maxBodyBytes: number;
  log?: (line: string) => void;
}

export async function signerApp(options: SignerHttpOptions): Promise<FastifyInstance> {
  const { service, tokens } = options;
  const app = Fastify({ bodyLimit: options.maxBodyBytes, logger: false, ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false } } });
  await app.register(swagger, {
    openapi: {
      info: { title: "airlock signing service", version: "1", description: "Signs airlock/Pigweed update bundles and root metadata under a policy: grants, builder provenance, re-run build rules, ledger, qualification, M-of-N approvals." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });

  const identities = new WeakMap<FastifyRequest, string>();
  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/v1/")) return;
    const header = request.headers.authorization ?? "";
    const identity = header.startsWith("Bearer ") ? identityOfToken(tokens, header.slice(7).trim()) : undefined;
    if (!identity) {
      service.unauthenticated(`${request.method} ${request.url.split("?")[0]}`);
      return reply.code(401).send({ error: { code: "UNAUTHENTICATED", message: "a valid bearer token is required (Authorization: Bearer TOKEN; airlock signer token create)" } });
    }
    identities.set(request, identity);
    options.log?.(`${identity} ${request.method} ${request.url}`);
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, _request, reply) => {
    if (err instanceof Refusal) return reply.code(err.status).send({ error: { code: err.status === 409 ? "CONFLICT" : err.status === 404 ? "NOT_FOUND" : "REFUSED", message: err.message } });
    if (err instanceof AirlockError) return reply.code(400).send({ error: { code: "INPUT", message: err.message } });
    if (err.validation || err.statusCode === 400) return reply.code(400).send({ error: { code: "MALFORMED", message: err.message } });
    if (err.statusCode === 413) return reply.code(413).send({ error: { code: "TOO_LARGE", message: `the request body is over ${options.maxBodyBytes} bytes, the policy's service.maxBodyBytes` } });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: { code: err.code ?? "BAD_REQUEST", message: err.message } });
    options.log?.(`internal error: ${err.stack ?? err.message}`);
    return reply.code(500).send({ error: { code: "INTERNAL", message: "internal error in the signing service (see its log)" } });
  });

  const identity = (request: FastifyRequest) => identities.get(request)!;
  app.post("/v1/targets/sign", { schema: { summary: "sign a bundle's targets metadata", body: targetsBody, response: responses, security } }, async (request, reply) => {
    const body = request.body as { requestId: string; nonce: string; expiresAt: string; key: string; product: string; buildType?: "eng" | "user"; bundle: string; provenance?: DsseEnvelope; qualification?: DsseEnvelope[]; emergency?: boolean };
    return send(reply, await service.requestTargets(identity(request), { ...body, bundle: new Uint8Array(Buffer.from(body.bundle, "base64")) }, bodyHash(request)));
  });
  app.post("/v1/root/sign", { schema: { summary: "ask for a root key's signature on root metadata (M-of-N approvers)", body: rootBody, response: responses, security } }, async (request, reply) => {
    const body = request.body as { requestId: string; nonce: string; expiresAt: string; key: string; root: string };
    return send(reply, await service.requestRoot(identity(request), { ...body, root: new Uint8Array(Buffer.from(body.root, "base64")) }, bodyHash(request)));
  });
  const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", pattern: "^[A-Za-z0-9._-]{8,128}$" } } } as const;
  app.get("/v1/requests/:id", { schema: { summary: "a request's status, summary and (signed) file", params: idParams, response: responses, security } }, async (request, reply) => {
    return send(reply, service.status(identity(request), (request.params as { id: string }).id));
  });
  app.post("/v1/requests/:id/approve", { schema: { summary: "approve a pending request (approvers; each person counts once)", params: idParams, response: responses, security } }, async (request, reply) => {
    return send(reply, await service.approve(identity(request), (request.params as { id: string }).id));
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/health", { schema: { hide: true } }, async () => ({ ok: true, auditEntries: service.audit.entries, auditHead: service.audit.headHash }));
  return app;
}

export async function serveSigner(options: SignerHttpOptions & { host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const app = await signerApp(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address() as { port: number };
  return { url: `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${address.port}`, close: () => app.close() };
}
