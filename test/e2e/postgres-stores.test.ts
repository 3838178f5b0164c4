/**
 * Stored Responses, background runs, kept sessions' transcripts and thread replies in a real
 * PostgreSQL (a throwaway cluster): the shared contracts, with the writer and the reader on two
 * connection pools as two front doors would be, so a reader is woken by the other's NOTIFY.
 */
import { createPostgresBackgroundLog } from '../../src/runtime/node/postgres/background-log.js'
import { createPostgresResponseStore } from '../../src/runtime/node/postgres/response-store.js'
import { createPostgresSessionArchive } from '../../src/runtime/node/postgres/session-archive.js'
import { createPostgresThreadReplies } from '../../src/runtime/node/postgres/thread-replies.js'
import { usePostgres } from '../helpers/postgres-databases.js'
import { describeBackgroundLog, describeResponseStore } from '../helpers/responses-store-suite.js'
import { describeSessionArchive } from '../helpers/session-archive-suite.js'
import { describeThreadReplies } from '../helpers/thread-replies-suite.js'

const postgres = usePostgres()

/** Two front doors' connection pools on one fresh, migrated database. */
const twoDoors = async () => {
  const { url, db } = await postgres.fresh()
  return [db, postgres.connect(url)] as const
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
