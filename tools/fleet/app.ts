// The rollout service as one fastify app: the device API (device-routes.ts) and the operator API
// (operator-routes.ts) on the same server, bodies checked against their JSON schemas (also the
// OpenAPI description at /openapi.json) and limited in size, and the web console (console/) under
// /console over the same operator service.
import Fastify, { type FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import type { FleetContext } from "./context.js";
import { registerConsole } from "./console/routes.js";
import { registerDeviceRoutes } from "./device-routes.js";
import { DeviceService } from "./device-service.js";
import { installErrorHandler } from "./http-errors.js";
import { registerOperatorRoutes } from "./operator-routes.js";
import { OperatorService } from "./operator-service.js";

export const DEFAULT_POLL_SECONDS = 300;
const DEFAULT_BODY_LIMIT = 64 * 1024;

export interface FleetAppOptions extends FleetContext {
  devices?: DeviceService;
  operators?: OperatorService;
  pollSeconds?: number;
  publicUrl?: string;
  bodyLimit?: number;
  log?: (line: string) => void;
}

export interface FleetApp {
  app: FastifyInstance;
  devices: DeviceService;
  operators: OperatorService;
}

export async function createFleetApp(options: FleetAppOptions): Promise<FleetApp> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const devices = options.devices ?? new DeviceService(options);
  const operators = options.operators ?? new OperatorService(options);
  const app = Fastify({ bodyLimit, logger: false, ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false } } });
  await app.register(swagger, {
    openapi: {
      info: { title: "airlock rollout service", version: "1", description: "Staged rollouts of signed releases to a device fleet: a hawkBit-DDI-shaped device API and an operator API." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  installErrorHandler(app, bodyLimit, options.log);
  await registerDeviceRoutes(app, { devices, pollSeconds: options.pollSeconds ?? DEFAULT_POLL_SECONDS, publicUrl: options.publicUrl });
  await registerOperatorRoutes(app, { operators, db: options.db });
  await registerConsole(app, { operators, db: options.db, clock: options.clock, publicUrl: options.publicUrl, log: options.log });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/health", { schema: { hide: true } }, async () => ({ ok: true, database: options.db.kind }));
  return { app, devices, operators };
}
