/**
 * The shared store's connection (DATABASE_URL): a pool from `postgres` (porsager/postgres, no
 * dependencies of its own; chosen over `pg` for its LISTEN/NOTIFY that re-listens after a
 * reconnect, and tagged queries that are always parameterised). Every call has a deadline, and a
 * server that cannot be reached becomes `StoreUnavailableError` (503): whatever needs the store
 * fails closed, and the pool reconnects by itself once PostgreSQL is back.
 */
import postgres from 'postgres'
import { StoreUnavailableError } from '../../../errors/index.js'
import type { Logger } from '../../../lib/logger.js'

export type Sql = postgres.Sql

export type DatabaseOptions = {
  /** Connections in the pool. Default 10. */
  max?: number
  /** How long connecting may take, in seconds. Default 5. */
  connectTimeoutS?: number
  /** The longest a statement may run, in ms. Default 10 s. */
  statementTimeoutMs?: number
  logger?: Logger
}

export type Database = {
  sql: Sql
  /**
   * Runs `work` against the store; an unreachable server (refused, timed out, cut off, shutting
   * down) becomes `StoreUnavailableError`, any other failure is passed on as it is.
   */
  use<T>(work: (sql: Sql) => Promise<T>): Promise<T>
  /** Calls `onNotify` with each payload sent on `channel`, re-listening after a reconnect. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
}

/** Codes of a connection that could not be made or was lost (the client's and the server's). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
])

export const isUnreachable = (error: unknown) => {
  const code = String((error as { code?: unknown })?.code ?? '')
  // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown).
  return UNREACHABLE.has(code) || code.startsWith('08') || code.startsWith('57P')
}

export const unavailable = (error: unknown) =>
  new StoreUnavailableError(
    `The shared store (PostgreSQL) cannot be reached: ${(error as Error).message}`,
    { retryAfter: 2 }
  )

/** The URL without its password, for logs and errors. */
export const redactUrl = (url: string) => {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://…'
  }
}

export const openDatabase = (url: string, options: DatabaseOptions = {}): Database => {
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutS ?? 5,
    idle_timeout: 60,
    max_lifetime: 30 * 60,
    onnotice: () => {},
    connection: {
      application_name: 'claude-code-api',
      statement_timeout: options.statementTimeoutMs ?? 10_000,
    },
  })
  const use = async <T>(work: (sql: Sql) => Promise<T>) => {
    try {
      return await work(sql)
    } catch (error) {
      if (isUnreachable(error)) throw unavailable(error)
      throw error
    }
  }
  return {
    sql,
    use,
    async listen(channel, onNotify) {
      const { unlisten } = await use((db) => db.listen(channel, onNotify))
      return unlisten
    },
    close: () => sql.end({ timeout: 5 }),
  }
}
