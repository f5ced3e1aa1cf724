// The device API, in the shape of Eclipse hawkBit's DDI (README "Rollout" lists where it differs):
//   POST /{tenant}/controller/v1/{controllerId}/enroll                         Authorization: GatewayToken SECRET
//   POST /{tenant}/controller/v1/{controllerId}         (check-in, manifest)   Authorization: TargetToken TOKEN
//   GET  /{tenant}/controller/v1/{controllerId}         (poll, no report)
//   GET  /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}
//   POST /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}/feedback
// The tenant is the product. A check-in answers config.polling.sleep and, when the device has an
// action, _links.deploymentBase; the deployment names one chunk with one artifact: the signed
// bundle in the release repository, with its SHA-256 and size from the signed channel index.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MAX_HARDWARE_ID } from "../../assembly/limits.js";
import { PRODUCT_NAME } from "../build/index.js";
import type { Assignment, DeviceCredentials, DeviceService } from "./device-service.js";
import type { DdiFeedback } from "./feedback.js";
import { ERROR_SCHEMA } from "./http-errors.js";
import type { DeviceManifest } from "./model.js";
import { NAME_PATTERN } from "./model.js";
import { Refusal } from "./refusal.js";

const SHA256 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
export const MANIFEST_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["product", "hardwareId", "targetsVersion", "images"],
  properties: {
    product: { type: "string", pattern: PRODUCT_NAME },
    hardwareId: { type: "string", minLength: 1, maxLength: MAX_HARDWARE_ID },
    targetsVersion: { type: "integer", minimum: 0, maximum: 0xffff_ffff },
    images: { type: "object", maxProperties: 32, propertyNames: { pattern: "^[A-Za-z0-9._-]{1,64}$" }, additionalProperties: SHA256 },
  },
} as const;

const FEEDBACK_SCHEMA = {
  type: "object",
  required: ["status"],
  properties: {
    id: { anyOf: [{ type: "string", maxLength: 24 }, { type: "integer" }] },
    time: { type: "string", maxLength: 40 },
    status: {
      type: "object",
      additionalProperties: false,
      required: ["execution"],
      properties: {
        execution: { enum: ["download", "downloaded", "proceeding", "scheduled", "resumed", "closed"] },
        result: {
          type: "object",
          additionalProperties: false,
          properties: {
            finished: { enum: ["success", "failure", "none"] },
            progress: { type: "object", properties: { cnt: { type: "integer", minimum: 0 }, of: { type: "integer", minimum: 0 } } },
          },
        },
        code: { type: "integer" },
        details: { type: "array", maxItems: 16, items: { type: "string", maxLength: 500 } },
        airlock: {
          type: "object",
          additionalProperties: false,
          properties: { outcome: { enum: ["refused", "reverted"] }, error: { type: "string", pattern: "^[A-Z][A-Z0-9_]{0,63}$" } },
        },
      },
    },
  },
} as const;

const params = {
  type: "object",
  required: ["tenant", "controllerId"],
  properties: { tenant: { type: "string", pattern: PRODUCT_NAME }, controllerId: { type: "string", pattern: NAME_PATTERN }, actionId: { type: "string", pattern: "^[1-9][0-9]{0,15}$" } },
} as const;
const errors = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA } as const;

export interface DeviceRoutesOptions {
  devices: DeviceService;
  /** The poll interval devices are told (config.polling.sleep). */
  pollSeconds: number;
  /** The service's URL as devices reach it, for _links; default: from the request's Host. */
  publicUrl?: string;
}

type Params = { tenant: string; controllerId: string; actionId?: string };

/** DDI's sleep notation, HH:MM:SS. */
export function ddiSleep(seconds: number): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor((seconds % 3600) / 60))}:${two(seconds % 60)}`;
}

function credential(request: FastifyRequest, scheme: "TargetToken" | "GatewayToken"): string {
  const header = request.headers.authorization ?? "";
  if (!header.startsWith(`${scheme} `)) {
    throw new Refusal(401, "UNAUTHENTICATED", scheme === "TargetToken"
      ? "a device token is required: Authorization: TargetToken TOKEN (the token enrollment returned)"
      : "the product's enrollment secret is required: Authorization: GatewayToken SECRET");
  }
  return header.slice(scheme.length + 1).trim();
}

function who(request: FastifyRequest): DeviceCredentials {
  const p = request.params as Params;
  return { tenant: p.tenant, deviceId: p.controllerId, token: credential(request, "TargetToken") };
}

export function deploymentBody(assignment: Assignment) {
  const { action, rollout } = assignment;
  return {
    id: String(action.id),
    deployment: {
      download: "forced",
      update: "forced",
      chunks: [{
        part: "bundle",
        name: rollout.product,
        version: String(rollout.targetsVersion),
        artifacts: [{
          filename: `${rollout.product}-${rollout.targetsVersion}.bundle`,
          hashes: { sha256: rollout.bundle.sha256 },
          size: rollout.bundle.size,
          _links: { download: { href: rollout.bundle.url } },
        }],
      }],
    },
    airlock: { rollout: rollout.id, channel: rollout.channel, indexVersion: rollout.indexVersion, targetsVersion: rollout.targetsVersion, hardwareId: rollout.releaseHardwareId, wave: action.wave + 1, emergency: rollout.emergency },
  };
}

export async function registerDeviceRoutes(app: FastifyInstance, options: DeviceRoutesOptions): Promise<void> {
  const { devices } = options;
  const sleep = ddiSleep(options.pollSeconds);
  const base = (request: FastifyRequest) => {
    const p = request.params as Params;
    return `${options.publicUrl ?? `${request.protocol}://${request.host}`}/${p.tenant}/controller/v1/${encodeURIComponent(p.controllerId)}`;
  };
  const pollAnswer = (request: FastifyRequest, assignment: Assignment | undefined) => ({
    config: { polling: { sleep } },
    _links: assignment ? { deploymentBase: { href: `${base(request)}/deploymentBase/${assignment.action.id}?c=${assignment.rollout.bundle.sha256.slice(0, 16)}` } } : {},
  });
  const tags = ["device (DDI)"];

  app.post("/:tenant/controller/v1/:controllerId/enroll", { schema: { tags, summary: "enroll an unknown device with its product's enrollment secret; returns its token once", params, body: MANIFEST_SCHEMA, response: { ...errors, 201: { type: "object", properties: { controllerId: { type: "string" }, token: { type: "string" } } } } } }, async (request, reply) => {
    const p = request.params as Params;
    const token = await devices.enroll(p.tenant, p.controllerId, credential(request, "GatewayToken"), request.body as DeviceManifest);
    return reply.code(201).send({ controllerId: p.controllerId, token });
  });
  app.post("/:tenant/controller/v1/:controllerId", { schema: { tags, summary: "check in: report what the device runs, get its action if it has one", params, body: MANIFEST_SCHEMA, response: errors } }, async (request) => {
    return pollAnswer(request, await devices.checkIn(who(request), request.body as DeviceManifest));
  });
  app.get("/:tenant/controller/v1/:controllerId", { schema: { tags, summary: "poll without a new report (the last manifest stands)", params, response: errors } }, async (request) => {
    return pollAnswer(request, await devices.checkIn(who(request)));
  });
  app.get("/:tenant/controller/v1/:controllerId/deploymentBase/:actionId", { schema: { tags, summary: "the deployment of an action: the bundle's URL, SHA-256 and size", params, response: errors } }, async (request) => {
    return deploymentBody(await devices.deployment(who(request), Number((request.params as Params).actionId)));
  });
  app.post("/:tenant/controller/v1/:controllerId/deploymentBase/:actionId/feedback", { schema: { tags, summary: "progress (download, proceeding) and the result (closed: success, or failure refused/reverted)", params, body: FEEDBACK_SCHEMA, response: errors } }, async (request) => {
    const action = await devices.feedback(who(request), Number((request.params as Params).actionId), request.body as DdiFeedback);
    return { id: String(action.id), state: action.state };
  });
}
