/**
 * API keys in PostgreSQL (API_KEYS_STORE=database), for front doors on several machines: the
 * `keys` commands change the `api_keys` table and NOTIFY `cca_keys`; every front door reloads its
 * keys on that notification (and again whenever its listening connection comes back, in case it
 * missed one), so a revoke or a policy change reaches all of them at once, not at their next
 * check. Only hashes are stored, as in a keys file.
 */
import {
  type KeyFileProblem,
  type KeyPolicy,
  type KeyRecord,
  parseHashList,
} from '../../../auth/keys.js'
import type { KeySet } from '../../../auth/middleware.js'
import { type Logger, silentLogger } from '../../../lib/logger.js'
import { matchOne, type NewKey, newKey, rotatedKey, withLogin } from '../key-changes.js'
import type { Database, Sql } from './database.js'

const CHANNEL = 'cca_keys'

type Row = { hash: string; name: string; created: string; policy: KeyPolicy }

const readAll = async (sql: Sql): Promise<KeyRecord[]> =>
  (await sql<Row[]>`SELECT hash, name, created, policy FROM api_keys ORDER BY created, hash`).map(
    (row) => ({ ...row, policy: row.policy ?? {} })
  )

/** What the `keys` commands do, on the table: each change is announced to every front door. */
export const createPostgresKeyRecords = (db: Database) => {
  const change = (work: (tx: Sql, records: KeyRecord[]) => Promise<KeyRecord>) =>
    db.use((sql) =>
      sql.begin(async (tx) => {
        const t = tx as unknown as Sql
        await tx`LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE`
        const done = await work(t, await readAll(t))
        await tx`SELECT pg_notify(${CHANNEL}, 'changed')`
        return done
      })
    )
  const write = (sql: Sql, record: KeyRecord) =>
    sql`INSERT INTO api_keys (hash, name, created, policy)
        VALUES (${record.hash}, ${record.name}, ${record.created}, ${sql.json(record.policy as never)})`
  return {
    where: 'the database (API_KEYS_STORE=database)',
    list: async () => ({ records: await db.use(readAll), problems: [] as KeyFileProblem[] }),
    async create(options: { name?: string; policy?: KeyPolicy }): Promise<NewKey> {
      const created = await newKey(options)
      await change(async (tx) => {
        await write(tx, created.record)
        return created.record
      })
      return created
    },
    revoke: (prefix: string) =>
      change(async (tx, records) => {
        const target = matchOne(records, prefix)
        await tx`DELETE FROM api_keys WHERE hash = ${target.hash}`
        return target
      }),
    async rotate(prefix: string): Promise<NewKey & { old: KeyRecord }> {
      let rotated: (NewKey & { old: KeyRecord }) | undefined
      await change(async (tx, records) => {
        const old = matchOne(records, prefix)
        rotated = { ...(await rotatedKey(old)), old }
        await tx`DELETE FROM api_keys WHERE hash = ${old.hash}`
        await write(tx, rotated.record)
        return rotated.record
      })
      return rotated as NewKey & { old: KeyRecord }
    },
    setLogin: (prefix: string, login: string | undefined) =>
      change(async (tx, records) => {
        const record = withLogin(matchOne(records, prefix), login)
        await tx`UPDATE api_keys SET policy = ${tx.json(record.policy as never)} WHERE hash = ${record.hash}`
        return record
      }),
  }
}

export type PostgresKeySourceOptions = {
  /** API_KEY_HASHES, merged with the table's. */
  hashes?: string
  /** API_AUTH_DISABLED. */
  disabled?: boolean
  logger?: Logger
}

/**
 * The keys front doors check requests against, kept in memory and reloaded on each NOTIFY. Keys
 * are always required with this store. Until a load succeeds (the first, or the one after a
 * failed reload, tried again every second), every request that needs a key is refused.
 */
export const createPostgresKeySource = async (
  db: Database,
  { hashes, disabled, logger = silentLogger }: PostgresKeySourceOptions = {}
): Promise<{ load(): KeySet; close(): Promise<void> }> => {
  const env = parseHashList(hashes)
  for (const problem of env.problems) logger.warn(problem)
  let records: KeyRecord[] = []
  let unavailable: string | undefined = 'the keys have not been read from the database yet'
  let loading: Promise<void> | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  const reload = (): Promise<void> => {
    loading ??= db
      .use(readAll)
      .then(
        (read) => {
          if (unavailable) logger.info('keys loaded from the database', { keys: read.length })
          records = read
          unavailable = undefined
        },
        (error) => {
          logger.error('keys could not be read from the database', { error: String(error) })
          unavailable = 'the keys cannot be read from the database'
          clearTimeout(retry)
          retry = setTimeout(() => void reload(), 1_000)
          retry.unref()
        }
      )
      .finally(() => {
        loading = undefined
      })
    return loading
  }
  // Reloads on each change, and each time the listening connection is (re)made: a change made
  // while it was down is not missed.
  const { unlisten } = await db.use((sql) =>
    sql.listen(
      CHANNEL,
      () => void reload(),
      () => void reload()
    )
  )
  await reload()
  return {
    load: (): KeySet => ({
      enabled: !disabled,
      records: [...records, ...env.records],
      ...(!disabled && unavailable && { unavailable }),
    }),
    close: () => {
      clearTimeout(retry)
      return unlisten()
    },
  }
}
