// The operator API under /api/v1: bearer tokens with a role (operator: everything; viewer: only
// reads), every change audited with the operator's name. Other operator-facing pages (the web
// console) register on the same app and ask operatorOf(request) who is calling.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { PRODUCT_NAME } from "../build/index.js";
import { operatorOfToken } from "./credentials-admin.js";
import type { SqlDriver } from "./db/driver.js";
import { ERROR_SCHEMA } from "./http-errors.js";
import { NAME_PATTERN, type Operator } from "./model.js";
import type { CreateRollout, OperatorService } from "./operator-service.js";
import { Refusal } from "./refusal.js";

export const OPERATOR_API_PREFIX = "/api/v1/";

const operators = new WeakMap<FastifyRequest, Operator>();

/** Who made an operator request (set by the authentication hook for every /api/v1 route). */
export function operatorOf(request: FastifyRequest): Operator {
  const operator = operators.get(request);
  if (!operator) throw new Refusal(401, "UNAUTHENTICATED", "an operator bearer token is required (Authorization: Bearer TOKEN; airlock fleet token create)");
  return operator;
}

/** Refuses a viewer (or anyone not an operator) with 403. */
export function requireOperatorRole(request: FastifyRequest): Operator {
  return requireRole(operatorOf(request));
}

/** The operator, if their role may change things (the API and the console ask the same). */
export function requireRole(operator: Operator): Operator {
  if (operator.role !== "operator") throw new Refusal(403, "FORBIDDEN", `${operator.name} has the ${operator.role} role: only operators change rollouts and devices`);
  return operator;
}

/** The bearer token on a request, resolved to its operator (undefined: none or unknown). */
export async function authenticateOperator(db: SqlDriver, request: FastifyRequest): Promise<Operator | undefined> {
  const header = request.headers.authorization ?? "";
  if (!header.startsWith("Bearer ")) return undefined;
  const operator = await operatorOfToken(db, header.slice(7).trim());
  if (operator) operators.set(request, operator);
  return operator;
}

const NAME = { type: "string", pattern: NAME_PATTERN } as const;
/** Query strings are text: a limit is digits, read by limitOf. */
const LIMIT = { type: "string", pattern: "^[1-9][0-9]{0,3}$" } as const;
const limitOf = (text: string | undefined) => (text === undefined ? 200 : Number(text));
const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", pattern: "^[1-9][0-9]{0,15}$" } } } as const;
const deviceParams = { type: "object", required: ["id"], properties: { id: NAME } } as const;
const reasonBody = { type: ["object", "null"], additionalProperties: false, properties: { reason: { type: "string", maxLength: 500 } } } as const;
const createBody = {
  type: "object",
  additionalProperties: false,
  required: ["channel", "product"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 200 },
    channel: { type: "string", pattern: "^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$" },
    product: { type: "string", pattern: PRODUCT_NAME },
    hardwareId: { type: "string", minLength: 1, maxLength: 32 },
    expectSha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
    groups: { type: "array", maxItems: 64, items: NAME },
    versions: { type: "string", maxLength: 200 },
    waves: {
      type: "array",
      maxItems: 32,
      items: {
        anyOf: [
          { type: "object", additionalProperties: false, required: ["percent"], properties: { percent: { type: "integer", minimum: 1, maximum: 100 } } },
          { type: "object", additionalProperties: false, required: ["groups"], properties: { groups: { type: "array", minItems: 1, maxItems: 64, items: NAME } } },
        ],
      },
    },
    policy: {
      type: "object",
      additionalProperties: false,
      properties: {
        successPercent: { type: "number", minimum: 0, maximum: 100 },
        errorPercent: { type: "number", minimum: 0, maximum: 100 },
        soakMs: { type: "integer", minimum: 0 },
        deviceTimeoutMs: { type: "integer", minimum: 1 },
      },
    },
    emergency: { type: "boolean" },
  },
} as const;
const errors = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 502: ERROR_SCHEMA } as const;
const security = [{ bearer: [] }];

export interface OperatorRoutesOptions {
  operators: OperatorService;
  db: SqlDriver;
}

export async function registerOperatorRoutes(app: FastifyInstance, options: OperatorRoutesOptions): Promise<void> {
  const service = options.operators;
  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith(OPERATOR_API_PREFIX)) return;
    if (!(await authenticateOperator(options.db, request))) {
      throw new Refusal(401, "UNAUTHENTICATED", "a valid operator bearer token is required (Authorization: Bearer TOKEN; airlock fleet token create)");
    }
  });
  const tags = ["operator"];
  const id = (request: FastifyRequest) => Number((request.params as { id: string }).id);
  const reason = (request: FastifyRequest) => (request.body as { reason?: string } | null | undefined)?.reason;

  app.get("/api/v1/whoami", { schema: { tags, security, summary: "the calling operator and role", response: errors } }, async (request) => operatorOf(request));
  app.get("/api/v1/releases", { schema: { tags, security, summary: "each channel's releases from its verified index", response: errors } }, async () => ({ channels: await service.channels() }));
  app.get("/api/v1/rollouts", { schema: { tags, security, summary: "every rollout, newest first", response: errors } }, async () => ({ rollouts: await service.list() }));
  app.post("/api/v1/rollouts", { schema: { tags, security, summary: "create a rollout of a channel's current release (verified against the signed index)", body: createBody, response: { ...errors, 201: { type: "object", additionalProperties: true } } } }, async (request, reply) => {
    const operator = requireOperatorRole(request);
    return reply.code(201).send(await service.createRollout(operator.name, request.body as CreateRollout));
  });
  app.get("/api/v1/rollouts/:id", { schema: { tags, security, summary: "a rollout with its waves, counts per state and failing devices", params: idParams, response: errors } }, async (request) => service.show(id(request)));
  for (const verb of ["pause", "resume", "cancel", "stop"] as const) {
    app.post(`/api/v1/rollouts/:id/${verb}`, { schema: { tags, security, summary: `${verb} a rollout${verb === "stop" ? " (emergency stop)" : ""}`, params: idParams, body: reasonBody, response: errors } }, async (request) => {
      const operator = requireOperatorRole(request);
      return service[verb](operator.name, id(request), reason(request));
    });
  }
  app.get("/api/v1/devices", {
    schema: {
      tags, security, summary: "devices, by search text (ID, hardware ID or group)",
      querystring: { type: "object", additionalProperties: false, properties: { search: { type: "string", maxLength: 128 }, product: { type: "string", pattern: PRODUCT_NAME }, limit: LIMIT } },
      response: errors,
    },
  }, async (request) => {
    const q = request.query as { search?: string; product?: string; limit?: string };
    return { devices: await service.devices({ text: q.search, product: q.product, limit: limitOf(q.limit) }) };
  });
  app.put("/api/v1/devices/:id/groups", { schema: { tags, security, summary: "set a device's groups", params: deviceParams, body: { type: "object", additionalProperties: false, required: ["groups"], properties: { groups: { type: "array", maxItems: 64, items: NAME } } }, response: errors } }, async (request) => {
    const operator = requireOperatorRole(request);
    const deviceId = (request.params as { id: string }).id;
    await service.setDeviceGroups(operator.name, deviceId, (request.body as { groups: string[] }).groups);
    return { id: deviceId, groups: (request.body as { groups: string[] }).groups };
  });
  app.delete("/api/v1/devices/:id", { schema: { tags, security, summary: "forget a device (it may enroll again with the product's secret)", params: deviceParams, response: errors } }, async (request) => {
    const operator = requireOperatorRole(request);
    await service.removeDevice(operator.name, (request.params as { id: string }).id);
    return { removed: (request.params as { id: string }).id };
  });
  app.get("/api/v1/audit", {
    schema: {
      tags, security, summary: "the audit trail, newest first",
      querystring: { type: "object", additionalProperties: false, properties: { subject: { type: "string", maxLength: 200 }, limit: LIMIT } },
      response: errors,
    },
  }, async (request) => {
    const q = request.query as { subject?: string; limit?: string };
    return { entries: await service.audit({ subject: q.subject, limit: limitOf(q.limit) }) };
  });
}
