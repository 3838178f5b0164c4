/**
 * Server configuration from environment variables (documented in docs/operations.md). Invalid
 * values are reported by name instead of being silently replaced.
 */
import { join, resolve } from 'node:path'
import * as v from 'valibot'
import {
  type EnvSource,
  RunnerSettings,
  type RunnerSettingsInput,
  type RunnerSettingsOutput,
  resolveSettings,
  SERVER_DEFAULTS,
} from '../../adapters/node/settings.js'
import { type Env, listOf, readSettings, SharedSettings } from '../../config/settings.js'
import { TOOL_PATTERN } from '../../contract/names.js'
import { ConfigError } from '../../errors/index.js'
import { isLoopback } from '../../lib/addresses.js'
import type { LogLevel } from '../../lib/logger.js'

/** The Node server's own defaults, written once (the command line's help names them too). */
export const DEFAULT_PORT = 7742
export const DEFAULT_KEYS_FILE = '.api-keys'
export const DEFAULT_LOGINS_FILE = '.claude-logins'

/**
 * Where the sealed logins are (CLAUDE_LOGINS_FILE), and their secret: CLAUDE_LOGINS_SECRET, else
 * the file CLAUDE_LOGINS_SECRET_FILE (default: the logins file's path + `.secret`).
 */
export const loginFilesOf = (env: Env, file?: string) =>
  loginFiles({
    loginsFile: file || env.CLAUDE_LOGINS_FILE,
    loginsSecret: env.CLAUDE_LOGINS_SECRET,
    loginsSecretFile: env.CLAUDE_LOGINS_SECRET_FILE,
  })

/** The same, from the server's options. */
export const loginFiles = (
  options: Pick<ServerFields, 'loginsFile' | 'loginsSecret' | 'loginsSecretFile'>
) => {
  const file = resolve(options.loginsFile || DEFAULT_LOGINS_FILE)
  return {
    file,
    secret: {
      env: options.loginsSecret || undefined,
      file: resolve(options.loginsSecretFile || `${file}.secret`),
    },
  }
}
/** The usage database, when USAGE_DB names none: in the work directory. */
export const usageDbIn = (workDir: string) => join(workDir, 'usage.db')

/** What only the server has; the runner's settings come from their own schema. */
export type ServerFields = {
  host: string
  port: number
  logLevel: LogLevel
  allowedTools: string[]
  /** CLAUDE_PASS_ENV: more environment variables the CLI may see, by name. */
  passEnv: string[]
  /** CLAUDE_SANDBOX_EGRESS: more `host:port`s a sandboxed run (Bash) may reach. */
  sandboxEgress: string[]
  workDir?: string
  maxBodyBytes: number
  /** On shutdown, how long running runs may take to finish before they are stopped. */
  shutdownGraceMs: number
  heartbeatMs: number
  /** The `.api-keys` file (hash|name|created[|policy] lines). */
  keysFile: string
  /** API_KEY_HASHES: comma-separated SHA-256 hashes (optionally `hash:name`). */
  apiKeyHashes?: string
  /** API_AUTH_DISABLED: run without auth, even on a public address. */
  authDisabled: boolean
  /** CORS_ORIGINS: browser origins allowed to call the API (none by default). */
  corsOrigins: string[]
  /** USAGE_DB: the SQLite file of per-key usage; default `<work dir>/usage.db`. */
  usageDb?: string
  /**
   * DATABASE_URL: PostgreSQL for the state front doors share (usage and budgets, stored
   * Responses, background runs); without it, a SQLite file and this process's memory.
   */
  databaseUrl?: string
  /** DATABASE_LEASE_MS: how long a run's reservation outlives its front door. Default 30 s. */
  databaseLeaseMs?: number
  /** API_KEYS_STORE: `file` (API_KEYS_FILE, the default) or `database` (DATABASE_URL). */
  keysStore?: 'file' | 'database'
  /** RUNNER_URLS: runner hosts to forward runs to instead of running the CLI here. */
  runnerUrls: string[]
  /** RUNNER_TOKEN: the token runner hosts expect (and a runner host requires). */
  runnerToken?: string
  /** CLAUDE_LOGINS_FILE: the sealed Claude logins keys may be bound to. */
  loginsFile?: string
  /** CLAUDE_LOGINS_SECRET: what the logins are sealed under (else their secret file). */
  loginsSecret?: string
  /** CLAUDE_LOGINS_SECRET_FILE: the secret file (default: the logins file + `.secret`). */
  loginsSecretFile?: string
  /** CLAUDE_SELF_SERVICE_LOGINS: key holders may set their own login (`POST /llm/login`). */
  selfServiceLogins?: boolean
}

export type ServerConfig = ServerFields & RunnerSettingsOutput

const integer = (env: Env, name: string, fallback: number, min = 0): number => {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be a whole number of at least ${min} (got "${raw}")`)
  }
  return value
}

/** A setting that is on or off, refusing anything else. */
const onOrOff = (name: string, raw: string): boolean => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^(0|false|no|off)$/i.test(raw)) return false
  throw new ConfigError(`${name} must be on or off (got "${raw}")`)
}

/** The runner's settings that the environment sets, read as their schema says (settings.ts). */
const runnerSettingsFrom = (env: Env): RunnerSettingsInput => {
  const found: Record<string, number | boolean> = {}
  for (const [key, entry] of Object.entries(RunnerSettings.entries)) {
    const { env: name, scale = 1 } = v.getMetadata(entry.wrapped) as Partial<EnvSource>
    const raw = name && env[name]
    if (!name || !raw) continue
    if (typeof v.getDefault(entry) === 'boolean') {
      found[key] = onOrOff(name, raw)
      continue
    }
    const parsed = v.safeParse(entry, Number(raw) * scale)
    if (!parsed.success || !/^\d+$/.test(raw)) {
      const min = parsed.issues?.find((issue) => issue.type === 'min_value')?.requirement
      const floor = min === undefined ? '' : ` of at least ${Math.ceil(Number(min) / scale)}`
      throw new ConfigError(`${name} must be a whole number${floor} (got "${raw}")`)
    }
    found[key] = parsed.output as number
  }
  return found
}

/** The lists only the Node server reads, each checked entry by entry. */
const NodeLists = v.object({
  CLAUDE_ALLOWED_TOOLS: listOf(
    'CLAUDE_ALLOWED_TOOLS',
    (tool) => TOOL_PATTERN.test(tool),
    'list built-in tool names such as Read,Grep'
  ),
  CLAUDE_PASS_ENV: listOf(
    'CLAUDE_PASS_ENV',
    (name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name),
    'list environment variable names'
  ),
  CLAUDE_SANDBOX_EGRESS: listOf(
    'CLAUDE_SANDBOX_EGRESS',
    (target) => /^[A-Za-z0-9.-]+:\d{1,5}$/.test(target),
    'list host:port targets'
  ),
})

/** DATABASE_URL, checked: a PostgreSQL URL or nothing. */
export const databaseUrlOf = (env: Env) => {
  const url = env.DATABASE_URL || undefined
  if (url && !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL')
  }
  return url
}

/** API_KEYS_STORE, checked: where the API keys live. */
export const keysStoreOf = (env: Env): 'file' | 'database' => {
  const store = env.API_KEYS_STORE || 'file'
  if (store !== 'file' && store !== 'database') {
    throw new ConfigError('API_KEYS_STORE must be file or database')
  }
  return store
}

export const loadConfig = (env: Env): ServerConfig => {
  const shared = readSettings(SharedSettings, env)
  const lists = readSettings(NodeLists, env)
  return {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', DEFAULT_PORT),
    logLevel: shared.LOG_LEVEL,
    allowedTools: lists.CLAUDE_ALLOWED_TOOLS,
    passEnv: lists.CLAUDE_PASS_ENV,
    sandboxEgress: lists.CLAUDE_SANDBOX_EGRESS,
    ...resolveSettings({ ...SERVER_DEFAULTS, ...runnerSettingsFrom(env) }),
    workDir: env.CLAUDE_WORK_DIR || undefined,
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 20 * 1024 * 1024, 1024),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000),
    heartbeatMs: integer(env, 'SSE_HEARTBEAT_MS', 15_000, 100),
    keysFile: env.API_KEYS_FILE || DEFAULT_KEYS_FILE,
    apiKeyHashes: shared.API_KEY_HASHES,
    authDisabled: shared.API_AUTH_DISABLED,
    corsOrigins: shared.CORS_ORIGINS,
    usageDb: env.USAGE_DB || undefined,
    databaseUrl: databaseUrlOf(env),
    databaseLeaseMs: integer(env, 'DATABASE_LEASE_MS', 30_000, 300),
    keysStore: keysStoreOf(env),
    runnerUrls: shared.RUNNER_URLS,
    runnerToken: shared.RUNNER_TOKEN,
    loginsFile: env.CLAUDE_LOGINS_FILE || undefined,
    loginsSecret: env.CLAUDE_LOGINS_SECRET || undefined,
    loginsSecretFile: env.CLAUDE_LOGINS_SECRET_FILE || undefined,
    selfServiceLogins: ['1', 'true', 'on'].includes(env.CLAUDE_SELF_SERVICE_LOGINS ?? ''),
  }
}

/**
 * Secure by default: an API without keys may only listen where no one else can reach it.
 * Throws the message an operator needs.
 */
export const assertSafeBind = (host: string, keysEnabled: boolean, authDisabled: boolean) => {
  if (keysEnabled || authDisabled || isLoopback(host)) return
  throw new ConfigError(
    `refusing to listen on ${host} without API keys. Create one with \`claude-code-api keys create --name NAME\` (or set API_KEY_HASHES), or set API_AUTH_DISABLED=1 to run open on purpose.`
  )
}
