/**
 * Stored Responses, background runs, kept sessions' transcripts and thread replies in a real
 * PostgreSQL (a throwaway cluster): the shared contracts, with the writer and the reader on two
 * connection pools as two front doors would be, so a reader is woken by the other's NOTIFY.
 */
import { afterAll, beforeAll } from 'vitest'
import { startPostgres, type TestPostgres } from '../../dev-tools/postgres.js'
import { createPostgresBackgroundLog } from '../../src/runtime/node/postgres/background-log.js'
import { type Database, openDatabase } from '../../src/runtime/node/postgres/database.js'
import { migrate } from '../../src/runtime/node/postgres/migrations.js'
import { createPostgresResponseStore } from '../../src/runtime/node/postgres/response-store.js'
import { createPostgresSessionArchive } from '../../src/runtime/node/postgres/session-archive.js'
import { createPostgresThreadReplies } from '../../src/runtime/node/postgres/thread-replies.js'
import { describeBackgroundLog, describeResponseStore } from '../helpers/responses-store-suite.js'
import { describeSessionArchive } from '../helpers/session-archive-suite.js'
import { describeThreadReplies } from '../helpers/thread-replies-suite.js'

let pg: TestPostgres
const open: Database[] = []
let databases = 0

beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await Promise.all(open.map((db) => db.close().catch(() => {})))
  await pg?.close()
})

/** Two front doors' connection pools on one fresh, migrated database. */
const twoDoors = async () => {
  const url = await pg.database(`responses_${++databases}`)
  const [a, b] = [openDatabase(url), openDatabase(url)]
  open.push(a, b)
  await migrate(a.sql)
  return [a, b] as const
}

describeResponseStore('PostgreSQL', async () => createPostgresResponseStore((await twoDoors())[0]))
describeBackgroundLog('PostgreSQL', async () => {
  const [a, b] = await twoDoors()
  return { log: createPostgresBackgroundLog(a), other: createPostgresBackgroundLog(b) }
})
describeSessionArchive('PostgreSQL', async () =>
  createPostgresSessionArchive((await twoDoors())[0])
)
describeThreadReplies('PostgreSQL', async () => {
  const [a, b] = await twoDoors()
  return { one: createPostgresThreadReplies(a), two: createPostgresThreadReplies(b) }
})
