/**
 * Per-key usage in a real PostgreSQL (a throwaway cluster): the same contract as every usage
 * store, and what only a shared store must keep: limits that hold across front doors, leases
 * that free a dead front door's places, a store out of reach refusing rather than admitting, and
 * versioned migrations.
 */
import { describe, expect, it } from 'vitest'
import { MIGRATIONS, migrate } from '../../src/runtime/node/postgres/migrations.js'
import { createPostgresUsageStore } from '../../src/runtime/node/postgres/usage-store.js'
import type { UsageStore } from '../../src/usage/store.js'
import { usePostgres } from '../helpers/postgres-databases.js'
import { runCharge } from '../helpers/run-charge.js'
import { runCli } from '../helpers/run-cli.js'
import { ada, describeUsageStore } from '../helpers/usage-store-suite.js'

const postgres = usePostgres()
const { connect } = postgres
const freshDatabase = postgres.fresh

describeUsageStore('PostgreSQL', async () => createPostgresUsageStore((await freshDatabase()).db))

describe('PostgreSQL usage shared by front doors', () => {
  it('holds one budget and one max_concurrent across two front doors', async () => {
    const { url, db } = await freshDatabase()
    const stores = [createPostgresUsageStore(db), createPostgresUsageStore(connect(url))]
    // A budget that covers one run: of 12 admissions at once, split across both, one gets in.
    const burst = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => stores[i % 2]?.begin(ada, { dailyUsd: 0.001 }))
    )
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const bob = { id: 'b'.repeat(64), name: 'bob' }
    const places = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => stores[i % 2]?.begin(bob, { maxConcurrent: 3 }))
    )
    expect(places.filter((r) => r.status === 'fulfilled')).toHaveLength(3)
    expect((await stores[1]?.report())?.[bob.id]?.active).toBe(3)
  })

  it("frees a dead front door's places within the lease", async () => {
    const { url, db } = await freshDatabase()
    const doomed = connect(url)
    const dying = createPostgresUsageStore(doomed, { leaseMs: 600 })
    await dying.begin(ada, { maxConcurrent: 1 })
    // Its connections end without a release: as if its process was killed.
    await doomed.close()
    const other = createPostgresUsageStore(db, { leaseMs: 600 })
    await expect(other.begin(ada, { maxConcurrent: 1 })).rejects.toMatchObject({
      type: 'quota_exceeded',
    })
    const admitted = async () => {
      const place = await other.begin(ada, { maxConcurrent: 1 }).catch(() => undefined)
      await place?.release()
      return Boolean(place)
    }
    await expect.poll(admitted, { timeout: 5_000, interval: 100 }).toBe(true)
  })

  it('keeps a place while its run goes on past the lease (renewed)', async () => {
    const { db } = await freshDatabase()
    const store = createPostgresUsageStore(db, { leaseMs: 1_000 })
    const place = await store.begin(ada, { maxConcurrent: 1 })
    const ends = async () => {
      const [row] = await db.sql<{ at: Date }[]>`
        SELECT MAX(expires_at) AS at FROM usage_reservations`
      if (!row) throw new Error('no reservation')
      return row.at.getTime()
    }
    const first = await ends()
    // Renewed (every third of the lease): it ends later than it first did…
    await expect.poll(ends, { timeout: 10_000, interval: 100 }).toBeGreaterThan(first)
    // …so once its first end has passed, the place is still held.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first - Date.now() + 100)))
    await expect(store.begin(ada, { maxConcurrent: 1 })).rejects.toMatchObject({
      type: 'quota_exceeded',
    })
    await place.release()
    await (await store.begin(ada, { maxConcurrent: 1 })).release()
  })
})

describe('PostgreSQL out of reach', () => {
  it('refuses with store_unavailable, keeps charges, and comes back by itself', async () => {
    const { db } = await freshDatabase()
    const store: UsageStore = createPostgresUsageStore(db)
    await store.record(ada, runCharge(0.0004))
    const place = await store.begin(ada, { dailyUsd: 0.001 })
    await postgres.cluster().stop()
    try {
      await expect(store.begin(ada, { dailyUsd: 0.001 })).rejects.toMatchObject({
        type: 'store_unavailable',
        status: 503,
      })
      await expect(store.report()).rejects.toMatchObject({ type: 'store_unavailable' })
      // The run that was in goes on; its charge waits for the store.
      await store.record(ada, runCharge(0.0005))
      await place.release()
    } finally {
      await postgres.cluster().start()
    }
    await expect
      .poll(
        () =>
          store.report().then(
            (r) => r[ada.id]?.today.usd,
            () => undefined
          ),
        {
          timeout: 10_000,
          interval: 200,
        }
      )
      .toBeCloseTo(0.0009)
    // $0.0001 left: not enough for what a run at the least costs after the charge.
    const next = await store.begin(ada, { dailyUsd: 0.001 })
    expect(next.capUsd).toBeCloseTo(0.0001)
  })
})

describe('migrations', () => {
  it('apply once, even from two front doors starting together, and refuse a newer schema', async () => {
    const url = await postgres.cluster().database('migrations')
    const [a, b] = [connect(url), connect(url)]
    const applied = await Promise.all([migrate(a.sql), migrate(b.sql)])
    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((_, i) => i + 1))
    expect(await migrate(a.sql)).toEqual([])
    await a.sql`INSERT INTO schema_migrations (version) VALUES (${MIGRATIONS.length + 1})`
    await expect(migrate(b.sql)).rejects.toThrow(/newer version/)
  })

  it('run from the command line: `db migrate`, once, and a clear error for a database out of reach', async () => {
    const url = await postgres.cluster().database('migrations_cli')
    const first = await runCli(['db', 'migrate', '--database-url', url])
    expect(first).toMatchObject({ code: 0 })
    expect(first.stdout).toContain(`applied ${MIGRATIONS.map((_, i) => `#${i + 1}`).join(', ')}`)
    const again = await runCli(['db', 'migrate'], { env: { DATABASE_URL: url } })
    expect(again.stdout).toContain(`already at schema ${MIGRATIONS.length}`)
    // A closed port: refused at once, said as such, and no password in the message.
    const away = await runCli([
      'db',
      'migrate',
      '--database-url',
      'postgres://cca:hunter2@127.0.0.1:1/x',
    ])
    expect(away.code).toBe(2)
    expect(away.stderr).toMatch(/cannot be reached/)
    expect(away.stderr).not.toContain('hunter2')
    expect((await runCli(['db', 'migrate', '--database-url', 'mysql://x'])).stderr).toMatch(
      /DATABASE_URL must be a postgres/
    )
    // A server does not start on a database it cannot reach, and says why.
    const serve = await runCli(['serve', '--port', '0'], {
      env: { DATABASE_URL: 'postgres://cca:hunter2@127.0.0.1:1/x', LOG_LEVEL: 'silent' },
    })
    expect(serve.code).toBe(2)
    expect(serve.stderr).toMatch(
      /postgres:\/\/cca:\*\*\*@127.0.0.1:1\/x cannot be reached \(DATABASE_URL\)/
    )
  })
})
