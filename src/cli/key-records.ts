/**
 * Where the `keys` commands change keys: the keys file, or PostgreSQL when API_KEYS_STORE is
 * `database` (then every front door on that database hears of a change at once).
 */
import type { KeyPolicy } from '../auth/keys.js'
import { ConfigError } from '../errors/index.js'
import { databaseUrlOf, keysStoreOf } from '../runtime/node/config.js'
import {
  createKey,
  readKeyRecords,
  revokeKey,
  rotateKey,
  setKeyLogin,
} from '../runtime/node/keys.js'
import { openDatabase } from '../runtime/node/postgres/database.js'
import { createPostgresKeyRecords } from '../runtime/node/postgres/key-store.js'
import { migrate } from '../runtime/node/postgres/migrations.js'

export type KeyRecords = ReturnType<typeof createPostgresKeyRecords> & { close(): Promise<void> }

const fileRecords = (path: string): KeyRecords => ({
  where: path,
  list: () => readKeyRecords(path),
  create: (options: { name?: string; policy?: KeyPolicy }) => createKey(path, options),
  revoke: (prefix: string) => revokeKey(path, prefix),
  rotate: (prefix: string) => rotateKey(path, prefix),
  setLogin: (prefix: string, login: string | undefined) => setKeyLogin(path, prefix, login),
  close: async () => {},
})

export const openKeyRecords = async (
  path: string,
  env: NodeJS.ProcessEnv,
  flags: { store?: string; databaseUrl?: string }
): Promise<KeyRecords> => {
  const store = keysStoreOf({ API_KEYS_STORE: flags.store ?? env.API_KEYS_STORE })
  if (store === 'file') return fileRecords(path)
  const url = databaseUrlOf({ DATABASE_URL: flags.databaseUrl ?? env.DATABASE_URL })
  if (!url) throw new ConfigError('API_KEYS_STORE=database needs DATABASE_URL (or --database-url)')
  const db = openDatabase(url, { connectTimeoutS: 10 })
  try {
    await migrate(db.sql)
  } catch (error) {
    await db.close()
    throw error
  }
  return { ...createPostgresKeyRecords(db), close: () => db.close() }
}
