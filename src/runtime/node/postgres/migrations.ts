/**
 * The shared store's schema, in versioned steps: each front door runs those it has not seen at
 * start (under an advisory lock, so two starting at once do not race), and `claude-code-api db
 * migrate` runs them ahead of a deploy. A database written by a newer version is refused.
 */
import { ConfigError } from '../../../errors/index.js'
import type { Sql } from './database.js'

/** Any number that is this project's own: the lock two migrating front doors share. */
const MIGRATION_LOCK = 774_203_201

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE usage_daily (
     key_id text NOT NULL,
     day text NOT NULL,
     name text NOT NULL,
     runs bigint NOT NULL,
     input_tokens bigint NOT NULL,
     output_tokens bigint NOT NULL,
     cache_read_tokens bigint NOT NULL,
     cache_write_tokens bigint NOT NULL,
     usd double precision NOT NULL,
     least_call_usd double precision,
     PRIMARY KEY (key_id, day)
   );
   CREATE TABLE usage_reservations (
     id uuid PRIMARY KEY,
     key_id text NOT NULL,
     name text NOT NULL,
     reserved_usd double precision NOT NULL,
     expires_at timestamptz NOT NULL
   );
   CREATE INDEX usage_reservations_key ON usage_reservations (key_id, expires_at);
   CREATE TABLE stored_responses (
     id text PRIMARY KEY,
     owner text NOT NULL,
     record jsonb NOT NULL,
     bytes integer NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX stored_responses_owner ON stored_responses (owner, created_at);
   CREATE TABLE background_runs (
     id text PRIMARY KEY,
     owner text NOT NULL,
     snapshot jsonb NOT NULL,
     done boolean NOT NULL DEFAULT false,
     stop boolean NOT NULL DEFAULT false,
     seen_at timestamptz NOT NULL DEFAULT now(),
     ended_at timestamptz
   );
   CREATE INDEX background_runs_owner ON background_runs (owner, done);
   CREATE TABLE background_events (
     id text NOT NULL REFERENCES background_runs ON DELETE CASCADE,
     seq integer NOT NULL,
     event jsonb NOT NULL,
     PRIMARY KEY (id, seq)
   )`,
  // API keys, when they live here (API_KEYS_STORE=database): the same fields as a keys file line.
  `CREATE TABLE api_keys (
     hash text PRIMARY KEY,
     name text NOT NULL,
     created text NOT NULL,
     policy jsonb NOT NULL DEFAULT '{}'
   )`,
  // Kept sessions' transcripts, so a session outlives the runner host that ran it.
  `CREATE TABLE kept_sessions (
     id text PRIMARY KEY,
     owner text NOT NULL,
     transcript text NOT NULL,
     bytes integer NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX kept_sessions_owner ON kept_sessions (owner, updated_at)`,
  // Anthropic message threads: which kept session each reply continues, and whether it may.
  `CREATE TABLE thread_replies (
     reply_id text PRIMARY KEY,
     session_id text NOT NULL,
     owner text NOT NULL,
     state text NOT NULL DEFAULT 'open',
     claimed_at timestamptz,
     created_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX thread_replies_owner ON thread_replies (owner, created_at)`,
  // Which front door holds a reservation (another takes it over for a tool call's follow-up),
  // and the reservations of runs waiting for tool results, by call.
  `ALTER TABLE usage_reservations ADD COLUMN holder text NOT NULL DEFAULT '';
   CREATE TABLE parked_places (
     owner text NOT NULL,
     call_id text NOT NULL,
     reservation_id uuid NOT NULL,
     expires_at timestamptz NOT NULL,
     PRIMARY KEY (owner, call_id)
   )`,
]

export const SCHEMA_VERSION = MIGRATIONS.length

/** Brings the schema up to this version; returns the versions it applied. */
export const migrate = (sql: Sql): Promise<number[]> =>
  sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`
    const [row] = await tx<{ version: number }[]>`
      SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations`
    const version = row?.version ?? 0
    if (version > MIGRATIONS.length) {
      throw new ConfigError(
        `the database was migrated by a newer version (schema ${version}, this one knows ${MIGRATIONS.length})`
      )
    }
    const applied: number[] = []
    for (const [i, step] of MIGRATIONS.entries()) {
      if (i < version) continue
      await tx.unsafe(step)
      await tx`INSERT INTO schema_migrations (version) VALUES (${i + 1})`
      applied.push(i + 1)
    }
    return applied
  })
