// The rollout service (DESIGN.md: tools/fleet/): devices enroll and check in over a hawkBit-shaped
// API, rollouts take a verified release to a target set in waves with thresholds and an
// emergency stop, operators act through a role-checked, audited API; state in SQLite or
// PostgreSQL behind one schema.
export { ManualClock, systemClock, type Clock } from "./clock.js";
export type { SqlDriver, SqlTx, SqlValue } from "./db/driver.js";
export { DEFAULT_DATABASE, isPostgresUrl, openDatabase, openDriver } from "./db/open.js";
export { migrate, type MigrationReport } from "./db/migrate.js";
export { MIGRATIONS } from "./db/migrations.js";
export { redactedUrl } from "./db/postgres.js";
export * from "./model.js";
export { Refusal } from "./refusal.js";
export type { FleetContext } from "./context.js";
export { RepositoryReleases, type ReleaseSource, type ResolvedRelease } from "./releases.js";
export { DeviceService, type Assignment, type DeviceCredentials } from "./device-service.js";
export { OperatorService, type ChannelView, type CreateRollout, type RolloutView, type WaveView } from "./operator-service.js";
export { ENROLL_SECRET_PREFIX, OPERATOR_TOKEN_PREFIX, createEnrollSecret, createOperatorToken, operatorOfToken, requireName } from "./credentials-admin.js";
export { createFleetApp, DEFAULT_POLL_SECONDS, type FleetApp, type FleetAppOptions } from "./app.js";
export { MANIFEST_SCHEMA, ddiSleep, deploymentBody } from "./device-routes.js";
export { OPERATOR_API_PREFIX, authenticateOperator, operatorOf, requireOperatorRole, requireRole } from "./operator-routes.js";
export { DEFAULT_TICK_SECONDS, serveFleet, type FleetServer, type ServeFleetOptions } from "./serve.js";
export { parseWaves, planWaves } from "./waves.js";
export { matchesVersionQuery, parseVersionQuery } from "./version-query.js";
export type { DdiFeedback } from "./feedback.js";
export type { AuditEntry } from "./tables/audit.js";
export type { DeviceRecord } from "./tables/devices.js";
export type { Action, StateCounts } from "./tables/actions.js";
export { FleetClient } from "./client.js";
export * from "./device/index.js";
export * from "./simulate/index.js";
export { WireGateway, type GatewayEvent, type WireGatewayOptions } from "./gateway/wire-gateway.js";
