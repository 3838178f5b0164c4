/**
 * A throwaway PostgreSQL cluster for one test file (dev-tools/postgres.ts): started before its
 * tests and stopped after them, with fresh migrated databases on it and connection pools that are
 * closed at the end.
 */
import { afterAll, beforeAll } from 'vitest'
import { startPostgres, type TestPostgres } from '../../dev-tools/postgres.js'
import { type Database, openDatabase } from '../../src/runtime/node/postgres/database.js'
import { migrate } from '../../src/runtime/node/postgres/migrations.js'

export const usePostgres = () => {
  let pg: TestPostgres | undefined
  const open: Database[] = []
  let databases = 0
  beforeAll(async () => {
    pg = await startPostgres()
  })
  afterAll(async () => {
    await Promise.all(open.map((db) => db.close().catch(() => {})))
    await pg?.close()
  })
  const cluster = () => {
    if (!pg) throw new Error('the cluster starts in beforeAll')
    return pg
  }
  /** One more connection pool on `url`, as one more front door would have. */
  const connect = (url: string) => {
    const db = openDatabase(url, { connectTimeoutS: 2 })
    open.push(db)
    return db
  }
  return {
    cluster,
    connect,
    /** A new database, migrated, and a pool on it. */
    async fresh() {
      const url = await cluster().database(`test_${++databases}`)
      const db = connect(url)
      await migrate(db.sql)
      return { url, db }
    },
  }
}
