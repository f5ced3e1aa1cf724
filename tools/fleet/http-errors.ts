// How the fleet service answers a failure: one JSON shape, {error: {code, message}}, hawkBit's
// exceptionClass/errorCode/message folded into code and message. 400 malformed, 401 no valid
// credential, 403 wrong role, 404 unknown, 409 conflict with the current state, 413 too large,
// 502 the release repository's answer was refused.
import type { FastifyError, FastifyInstance } from "fastify";
import { AirlockError } from "../format/index.js";
import { Refusal } from "./refusal.js";

/** PostgreSQL's unique_violation: two requests raced to create the same thing. */
const UNIQUE_VIOLATION = "23505";

export function installErrorHandler(app: FastifyInstance, bodyLimit: number, log?: (line: string) => void): void {
  app.setErrorHandler((err: FastifyError & { code?: string }, _request, reply) => {
    if (err instanceof Refusal) return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
    if (err instanceof AirlockError) return reply.code(400).send({ error: { code: "INPUT", message: err.message } });
    if (err.validation || err.statusCode === 400) return reply.code(400).send({ error: { code: "MALFORMED", message: err.message } });
    if (err.statusCode === 413) return reply.code(413).send({ error: { code: "TOO_LARGE", message: `the request body is over ${bodyLimit} bytes` } });
    if (err.code === UNIQUE_VIOLATION || /UNIQUE constraint failed/.test(err.message)) {
      return reply.code(409).send({ error: { code: "CONFLICT", message: "another request created the same thing at the same moment: ask again" } });
    }
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: { code: err.code ?? "BAD_REQUEST", message: err.message } });
    log?.(`internal error: ${err.stack ?? err.message}`);
    return reply.code(500).send({ error: { code: "INTERNAL", message: "internal error in the rollout service (see its log)" } });
  });
}

export const ERROR_SCHEMA = { type: "object", properties: { error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } } } } as const;
