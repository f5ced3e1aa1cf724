// The web console under /console, on the rollout service's app: server-rendered pages over the
// same OperatorService the operator API uses (so every action is role-checked and audited the
// same way). Sessions: sign in with an operator token, get an HttpOnly SameSite=Strict cookie.
// Every POST but the sign-in carries the session's CSRF token; pause and resume need a
// confirmation step, the emergency stop the rollout's number typed. Pages are sent with a
// Content-Security-Policy that allows no script at all.
import cookie from "@fastify/cookie";
import formbody from "@fastify/formbody";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../clock.js";
import type { SqlDriver } from "../db/driver.js";
import { AirlockError } from "../../format/index.js";
import type { OperatorService } from "../operator-service.js";
import { requireRole } from "../operator-routes.js";
import { Refusal } from "../refusal.js";
import type { Html } from "./html.js";
import { CONSOLE_PREFIX, consolePath } from "./layout.js";
import { confirmPage } from "./pages/confirm.js";
import { devicesPage } from "./pages/devices.js";
import { errorPage } from "./pages/error.js";
import { loginPage } from "./pages/login.js";
import { releasesPage } from "./pages/releases.js";
import { rolloutPage } from "./pages/rollout.js";
import { rolloutsPage } from "./pages/rollouts.js";
import { ConsoleSessions, csrfMatches, SESSION_MS, type ConsoleSession } from "./sessions.js";
import { CONSOLE_CSS } from "./style.js";
import { CONSOLE_VERBS, expectedConfirmation, VERB_LABELS, type ConsoleVerb } from "./verbs.js";

export const SESSION_COOKIE = "airlock_console";
const DEVICE_PAGE_LIMIT = 200;
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface ConsoleOptions {
  operators: OperatorService;
  db: SqlDriver;
  clock: Clock;
  /** The service's public URL: an https one marks the session cookie Secure. */
  publicUrl?: string;
  log?: (line: string) => void;
}

const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", pattern: "^[1-9][0-9]{0,15}$" } } } as const;
const actionParams = { type: "object", required: ["id", "verb"], properties: { ...idParams.properties, verb: { type: "string", enum: CONSOLE_VERBS } } } as const;
// The CSRF token is not required by the schema: its absence is refused by the CSRF check (403).
const actionBody = { type: "object", properties: { csrf: { type: "string" }, confirm: { type: "string", maxLength: 64 }, reason: { type: "string", maxLength: 500 } } } as const;
const DONE: Record<ConsoleVerb, string> = { pause: "Paused.", resume: "Resumed.", stop: "Emergency stop done: nothing more goes out from this rollout." };

export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const sessions = new ConsoleSessions(options.db, options.clock);
  const service = options.operators;
  const sessionOf = new WeakMap<FastifyRequest, ConsoleSession>();
  const secure = options.publicUrl?.startsWith("https:") === true;
  const cookieOf = (request: FastifyRequest) => request.cookies[SESSION_COOKIE];

  await app.register(async (scope) => {
    // Pages, not API: kept out of the OpenAPI description.
    scope.addHook("onRoute", (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    await scope.register(cookie);
    await scope.register(formbody, { bodyLimit: 8 * 1024 });

    const send = (reply: FastifyReply, body: Html, status = 200) => reply.code(status).type("text/html; charset=utf-8").send(body.text);
    const signedIn = (request: FastifyRequest): ConsoleSession => {
      const session = sessionOf.get(request);
      if (!session) throw new Refusal(401, "UNAUTHENTICATED", "sign in first (your session ended or was never opened)");
      return session;
    };
    /** A change: a signed-in operator (not a viewer) whose form carries the session's CSRF token. */
    const changer = (request: FastifyRequest): ConsoleSession => {
      const session = signedIn(request);
      if (!csrfMatches(session, (request.body as { csrf?: unknown } | undefined)?.csrf)) {
        throw new Refusal(403, "CSRF", "the form's CSRF token does not belong to this session: nothing was changed (reload the page and try again)");
      }
      return session;
    };

    scope.addHook("onRequest", async (request) => {
      const session = await sessions.find(cookieOf(request));
      if (session) sessionOf.set(request, session);
    });
    scope.addHook("onSend", async (_request, reply) => {
      reply.header("content-security-policy", CSP).header("x-content-type-options", "nosniff").header("referrer-policy", "no-referrer").header("cache-control", "no-store");
    });
    scope.setErrorHandler((err: FastifyError, request, reply) => {
      const session = sessionOf.get(request);
      if (err instanceof Refusal) {
        // A page asked for without a session leads to the sign-in; a change without one is refused.
        if (err.status === 401 && request.method === "GET") return reply.redirect(consolePath("/login"), 303);
        return send(reply, errorPage(err.status, err.code, err.message, session), err.status);
      }
      if (err instanceof AirlockError) return send(reply, errorPage(400, "INPUT", err.message, session), 400);
      if (err.validation || err.statusCode === 400) return send(reply, errorPage(400, "MALFORMED", err.message, session), 400);
      if (err.statusCode && err.statusCode < 500) return send(reply, errorPage(err.statusCode, err.code ?? "BAD_REQUEST", err.message, session), err.statusCode);
      options.log?.(`console error: ${err.stack ?? err.message}`);
      return send(reply, errorPage(500, "INTERNAL", "internal error in the rollout service (see its log)", session), 500);
    });

    scope.get("/style.css", async (_request, reply) => reply.type("text/css; charset=utf-8").send(CONSOLE_CSS));
    scope.get("/", async (request, reply) => reply.redirect(consolePath(sessionOf.has(request) ? "/rollouts" : "/login"), 303));

    scope.get("/login", async (request, reply) => (sessionOf.has(request) ? reply.redirect(consolePath("/rollouts"), 303) : send(reply, loginPage())));
    scope.post("/login", { schema: { body: { type: "object", properties: { token: { type: "string", maxLength: 256 } } } } }, async (request, reply) => {
      const token = (request.body as { token?: string } | undefined)?.token ?? "";
      const opened = token ? await sessions.open(token) : undefined;
      if (!opened) return send(reply, loginPage("That is not a valid operator token (airlock fleet token create makes one; a replaced token no longer works)."), 401);
      reply.setCookie(SESSION_COOKIE, opened.id, {
        path: CONSOLE_PREFIX, httpOnly: true, sameSite: "strict", secure: secure || request.protocol === "https", maxAge: SESSION_MS / 1000,
      });
      return reply.redirect(consolePath("/rollouts"), 303);
    });
    scope.post("/logout", async (request, reply) => {
      changer(request);
      await sessions.close(cookieOf(request)!);
      reply.clearCookie(SESSION_COOKIE, { path: CONSOLE_PREFIX });
      return reply.redirect(consolePath("/login"), 303);
    });

    scope.get("/rollouts", async (request, reply) => send(reply, rolloutsPage(signedIn(request), await service.list())));
    scope.get("/rollouts/:id", { schema: { params: idParams, querystring: { type: "object", properties: { done: { type: "string", enum: CONSOLE_VERBS } } } } }, async (request, reply) => {
      const session = signedIn(request);
      const done = (request.query as { done?: ConsoleVerb }).done;
      return send(reply, rolloutPage(session, await service.show(Number((request.params as { id: string }).id)), done && DONE[done]));
    });
    scope.get("/rollouts/:id/:verb", { schema: { params: actionParams } }, async (request, reply) => {
      const session = signedIn(request);
      requireRole(session.operator);
      const { id, verb } = request.params as { id: string; verb: ConsoleVerb };
      return send(reply, confirmPage(session, verb, await service.show(Number(id))));
    });
    scope.post("/rollouts/:id/:verb", { schema: { params: actionParams, body: actionBody } }, async (request, reply) => {
      const session = changer(request);
      const operator = requireRole(session.operator);
      const id = Number((request.params as { id: string }).id);
      const verb = (request.params as { verb: ConsoleVerb }).verb;
      const body = request.body as { confirm?: string; reason?: string };
      if ((body.confirm ?? "").trim() !== expectedConfirmation(verb, id)) {
        const problem = verb === "stop" ? `Type ${id}, the rollout's number, to confirm the emergency stop: nothing was changed.` : `${VERB_LABELS[verb]} was not confirmed: nothing was changed.`;
        return send(reply, confirmPage(session, verb, await service.show(id), problem), 400);
      }
      const reason = body.reason?.trim() || undefined;
      await service[verb](operator.name, id, reason);
      return reply.redirect(consolePath(`/rollouts/${id}?done=${verb}`), 303);
    });

    scope.get("/releases", async (request, reply) => send(reply, releasesPage(signedIn(request), await service.channels())));
    scope.get("/devices", { schema: { querystring: { type: "object", properties: { search: { type: "string", maxLength: 128 } } } } }, async (request, reply) => {
      const session = signedIn(request);
      const search = ((request.query as { search?: string }).search ?? "").trim();
      return send(reply, devicesPage(session, search, await service.devices({ text: search, limit: DEVICE_PAGE_LIMIT }), DEVICE_PAGE_LIMIT));
    });
  }, { prefix: CONSOLE_PREFIX });
}
