/**
 * What front doors share when DATABASE_URL names a PostgreSQL database: usage and budgets,
 * stored Responses, background runs, kept sessions' transcripts, thread replies and the places
 * of runs waiting for tool results, on one connection pool, the schema migrated first.
 * Per front door still: its view of the runner hosts and their health.
 */
import { ConfigError } from '../../../errors/index.js'
import type { Logger } from '../../../lib/logger.js'
import { createPostgresBackgroundLog } from './background-log.js'
import { isUnreachable, openDatabase, redactUrl } from './database.js'
import { migrate } from './migrations.js'
import { createPostgresParking } from './parking.js'
import { createPostgresResponseStore } from './response-store.js'
import { createPostgresSessionArchive, type SessionArchiveOptions } from './session-archive.js'
import { createPostgresThreadReplies } from './thread-replies.js'
import { createPostgresUsageStore } from './usage-store.js'

export type SharedStateOptions = {
  leaseMs?: number
  /** The bounds of kept sessions' transcripts (the server's session settings). */
  sessions?: SessionArchiveOptions
  logger?: Logger
}

export const openSharedState = async (
  url: string,
  { leaseMs, sessions, logger }: SharedStateOptions
) => {
  const db = openDatabase(url, { logger })
  try {
    const applied = await migrate(db.sql)
    if (applied.length > 0) logger?.info('migrated the shared store', { versions: applied })
  } catch (error) {
    await db.close().catch(() => {})
    const why = isUnreachable(error) ? 'cannot be reached' : 'cannot be used'
    throw new ConfigError(
      `the database ${redactUrl(url)} ${why} (DATABASE_URL): ${(error as Error).message}`
    )
  }
  const usage = createPostgresUsageStore(db, { leaseMs, logger })
  return {
    db,
    usage,
    responseStore: createPostgresResponseStore(db),
    backgroundLog: createPostgresBackgroundLog(db),
    sessions: createPostgresSessionArchive(db, sessions),
    threadReplies: createPostgresThreadReplies(db),
    parking: createPostgresParking(db),
    async close() {
      usage.close?.()
      await db.close()
    },
  }
}
