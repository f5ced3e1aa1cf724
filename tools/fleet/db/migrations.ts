// The fleet database's schema: one ordered list of migrations for SQLite and PostgreSQL alike,
// written in the SQL both speak (TEXT, BIGINT, INTEGER; times are BIGINT milliseconds since the
// epoch; lists are JSON text). A migration, once released, never changes: a new one is appended.
// IDs come from the counters table (UPDATE ... RETURNING), not from either database's own
// auto-increment syntax, which the two spell differently.

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "devices, rollouts, waves, actions, operators, audit",
    statements: [
      `CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
      `INSERT INTO counters (name, value) VALUES ('rollout', 0), ('action', 0), ('audit', 0)`,
      `CREATE TABLE products (
        name TEXT PRIMARY KEY,
        enroll_secret_sha256 TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        product TEXT NOT NULL,
        hardware_id TEXT NOT NULL,
        token_sha256 TEXT NOT NULL UNIQUE,
        targets_version BIGINT NOT NULL,
        images_json TEXT NOT NULL,
        enrolled_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL
      )`,
      `CREATE INDEX devices_product ON devices (product, hardware_id)`,
      `CREATE TABLE device_groups (
        device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        group_name TEXT NOT NULL,
        PRIMARY KEY (device_id, group_name)
      )`,
      `CREATE INDEX device_groups_group ON device_groups (group_name)`,
      `CREATE TABLE rollouts (
        id BIGINT PRIMARY KEY,
        name TEXT NOT NULL,
        product TEXT NOT NULL,
        channel TEXT NOT NULL,
        release_hardware_id TEXT,
        targets_version BIGINT NOT NULL,
        bundle_sha256 TEXT NOT NULL,
        bundle_size BIGINT NOT NULL,
        bundle_url TEXT NOT NULL,
        index_version BIGINT NOT NULL,
        target_json TEXT NOT NULL,
        policy_json TEXT NOT NULL,
        emergency INTEGER NOT NULL,
        state TEXT NOT NULL,
        state_reason TEXT,
        current_wave INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE INDEX rollouts_active ON rollouts (product, state)`,
      `CREATE TABLE waves (
        rollout_id BIGINT NOT NULL REFERENCES rollouts (id),
        number INTEGER NOT NULL,
        groups_json TEXT,
        percent INTEGER,
        size INTEGER NOT NULL,
        capped INTEGER NOT NULL,
        started_at BIGINT,
        succeeded_at BIGINT,
        accepted_failures INTEGER NOT NULL,
        PRIMARY KEY (rollout_id, number)
      )`,
      `CREATE TABLE actions (
        id BIGINT PRIMARY KEY,
        rollout_id BIGINT NOT NULL REFERENCES rollouts (id),
        wave INTEGER NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        state TEXT NOT NULL,
        error_code TEXT,
        details TEXT,
        assigned_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        finished_at BIGINT,
        UNIQUE (rollout_id, device_id)
      )`,
      `CREATE INDEX actions_device ON actions (device_id, state)`,
      `CREATE INDEX actions_wave ON actions (rollout_id, wave, state)`,
      `CREATE TABLE operator_tokens (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        token_sha256 TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE audit (
        id BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        details_json TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: "console sessions",
    statements: [
      // A session names the operator token it was opened with (its hash): replacing the token
      // ends its sessions too. The session's own ID is kept as a hash, like every secret here.
      `CREATE TABLE console_sessions (
        id_sha256 TEXT PRIMARY KEY,
        token_sha256 TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      `CREATE INDEX console_sessions_expiry ON console_sessions (expires_at)`,
    ],
  },
];
