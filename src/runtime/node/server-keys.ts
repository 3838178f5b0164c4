/**
 * The server's API keys: from the keys file (hot reloaded), or from PostgreSQL when
 * API_KEYS_STORE is `database` (reloaded on every change any front door's `keys` command makes).
 */
import { ConfigError } from '../../errors/index.js'
import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/logger.js'
import { DEFAULT_KEYS_FILE, type ServerConfig } from './config.js'
import { createFileKeySource } from './keys.js'
import type { Database } from './postgres/database.js'
import { createPostgresKeySource } from './postgres/key-store.js'

type KeyOptions = Partial<ServerConfig> & { clock?: Clock }

export const openServerKeys = async (
  options: KeyOptions,
  db: Database | undefined,
  logger: Logger
) => {
  if (options.keysStore === 'database') {
    if (!db) throw new ConfigError('API_KEYS_STORE=database needs DATABASE_URL')
    if (options.selfServiceLogins) {
      throw new ConfigError(
        'CLAUDE_SELF_SERVICE_LOGINS binds keys in a keys file: it needs API_KEYS_STORE=file'
      )
    }
    const source = await createPostgresKeySource(db, {
      hashes: options.apiKeyHashes,
      disabled: options.authDisabled,
      logger,
    })
    return {
      source,
      initial: source.load(),
      refresh: async () => source.load(),
      close: () => source.close(),
    }
  }
  const file = createFileKeySource({
    ...(options.clock && { clock: options.clock }),
    path: options.keysFile ?? DEFAULT_KEYS_FILE,
    hashes: options.apiKeyHashes,
    disabled: options.authDisabled,
    logger,
  })
  return {
    source: file,
    initial: await file.refresh(true),
    refresh: () => file.refresh(),
    close: async () => {},
  }
}
