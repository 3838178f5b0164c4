/**
 * The usage stores behind the seam: memory and SQLite keep the same contract (limits decided
 * once, per-day reports), and the SQLite file keeps its numbers across reopening, versioned,
 * with concurrent writers from other processes losing nothing.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import {
  createSqliteUsageStore,
  openSqliteUsageReader,
  USAGE_SCHEMA_VERSION,
} from '../../src/runtime/node/usage.js'
import { createMemoryUsageStore } from '../../src/usage/memory-store.js'
import { type UsageStore, utcDay } from '../../src/usage/store.js'
import { runCharge } from '../helpers/run-charge.js'

const ada = { id: 'a'.repeat(64), name: 'ada' }
const bob = { id: 'b'.repeat(64), name: 'bob' }
const charge = runCharge

let dir: string
beforeEach(async () => {
  dir = await tempDir('usage')
})
afterEach(async () => {
  await removeDir(dir)
})

const backends: Array<[string, () => UsageStore]> = [
  ['memory', () => createMemoryUsageStore()],
  ['sqlite', () => createSqliteUsageStore(join(dir, 'usage.db'))],
]

describe.each(backends)('the %s usage store', (_, create) => {
  it('admits runs up to max_concurrent, and again once one is released', async () => {
    const store = create()
    const first = await store.begin(ada, { maxConcurrent: 2 })
    await store.begin(ada, { maxConcurrent: 2 })
    await expect(store.begin(ada, { maxConcurrent: 2 })).rejects.toMatchObject({
      type: 'quota_exceeded',
      retryAfter: 2,
    })
    // Another key has its own places.
    await store.begin(bob, { maxConcurrent: 1 })
    await first.release()
    await first.release()
    await store.begin(ada, { maxConcurrent: 2 })
    expect((await store.report())[ada.id]?.active).toBe(2)
    store.close?.()
  })

  it("refuses a key that spent today's budget, until tomorrow", async () => {
    const store = create()
    await store.record(ada, charge(0.4))
    await store.begin(ada, { dailyUsd: 0.5 })
    await store.record(ada, charge(0.2))
    const refused = store.begin(ada, { dailyUsd: 0.5 })
    await expect(refused).rejects.toMatchObject({ type: 'quota_exceeded' })
    await expect(refused).rejects.toThrow(/daily budget of \$0.5/)
    await store.begin(bob, { dailyUsd: 0.5 })
    store.close?.()
  })

  it('reserves what a budgeted run may spend, so a burst cannot spend past the budget', async () => {
    const store = create()
    // Less left than one run costs: the first run reserves all of it, the rest wait for it.
    const first = await store.begin(ada, { dailyUsd: 0.001 })
    expect(first.capUsd).toBeCloseTo(0.001)
    await expect(store.begin(ada, { dailyUsd: 0.001 })).rejects.toThrow(/held by its runs/)
    await first.release()
    await store.record(ada, charge(0.0004))
    const second = await store.begin(ada, { dailyUsd: 0.001 })
    expect(second.capUsd).toBeCloseTo(0.0006)
    await second.release()
    // Plenty left: each run reserves at most RUN_CAP_USD, and a budgeted key runs 4 at once.
    const places = await Promise.all([0, 1, 2, 3].map(() => store.begin(bob, { dailyUsd: 100 })))
    expect(places.map((p) => p.capUsd)).toEqual([1, 1, 1, 1])
    await expect(store.begin(bob, { dailyUsd: 100 })).rejects.toThrow(/4 run\(s\) in progress/)
    // A key without a budget reserves nothing and has no cap.
    expect((await store.begin({ id: 'c', name: 'c' }, {})).capUsd).toBeUndefined()
    store.close?.()
  })

  it('refuses at admission a run that could not pay for the cheapest first call seen', async () => {
    const store = create()
    // No call seen yet: nothing to go by, the run is let in (capped at what is left).
    expect((await store.begin(ada, { dailyUsd: 0.01 })).capUsd).toBeCloseTo(0.01)
    await store.record(ada, { ...charge(0.009), firstCallUsd: 0.004 })
    await store.record(ada, { ...charge(0.0005), firstCallUsd: 0.003 })
    // $0.0005 left, less than $0.003: refused until midnight, and the message says both.
    const refused = store.begin(ada, { dailyUsd: 0.01 })
    await expect(refused).rejects.toMatchObject({ type: 'quota_exceeded' })
    await expect(refused).rejects.toThrow(
      /has \$0.0005 left of its daily budget of \$0.01, less than a run costs at the least \(\$0.003/
    )
    expect((await refused.catch((e) => e)).retryAfter).toBeGreaterThan(2)
    // Another key with no call of its own goes by any key's: $0.002 left is not enough either.
    await store.record(bob, charge(0.008))
    await expect(store.begin(bob, { dailyUsd: 0.01 })).rejects.toThrow(/at the least/)
    // Enough left: let in, capped at what is left.
    expect((await store.begin(bob, { dailyUsd: 0.02 })).capUsd).toBeCloseTo(0.012)
    store.close?.()
  })

  it('reports today, the days with runs (newest first) and totals, per key', async () => {
    const store = create()
    await store.record(ada, charge(0.25))
    await store.record(ada, charge(0.5))
    await store.record(bob, charge(1))
    const report = await store.report()
    const today = utcDay()
    const totals = {
      runs: 2,
      input_tokens: 20,
      output_tokens: 6,
      cache_read_tokens: 80,
      cache_write_tokens: 10,
      usd: 0.75,
    }
    expect(report[ada.id]).toEqual({
      name: 'ada',
      active: 0,
      today: { date: today, ...totals },
      total: totals,
      days: [{ date: today, ...totals }],
    })
    expect(report[bob.id]?.total.usd).toBe(1)
    store.close?.()
  })
})

describe('the SQLite file', () => {
  it('keeps usage across reopening, and earlier days in the per-day list', async () => {
    const path = join(dir, 'usage.db')
    const first = createSqliteUsageStore(path)
    await first.record(ada, charge(0.3))
    first.close?.()
    // A day from last week and one from two months ago, as an older server wrote them.
    const db = new Database(path)
    const insert = db.prepare(
      `INSERT INTO usage_daily (key_id, day, name, runs, input_tokens, output_tokens, usd)
       VALUES (?, ?, ?, 1, 100, 10, ?)`
    )
    const day = (daysAgo: number) => utcDay(new Date(Date.now() - daysAgo * 86_400_000))
    insert.run(ada.id, day(7), 'ada', 0.1)
    insert.run(ada.id, day(60), 'ada', 0.2)
    expect(db.pragma('user_version', { simple: true })).toBe(USAGE_SCHEMA_VERSION)
    db.close()

    const again = createSqliteUsageStore(path)
    await expect(again.begin(ada, { dailyUsd: 0.3 })).rejects.toMatchObject({
      type: 'quota_exceeded',
    })
    const report = (await again.report(30))[ada.id]
    expect(report?.days.map((d) => d.date)).toEqual([utcDay(), day(7)])
    expect(report?.total).toMatchObject({ runs: 3, input_tokens: 210 })
    expect(report?.total.usd).toBeCloseTo(0.6)
    expect((await again.report(90))[ada.id]?.days).toHaveLength(3)
    again.close?.()
  })

  it('moves a database the first release wrote to this schema, keeping its numbers', async () => {
    const path = join(dir, 'usage.db')
    const db = new Database(path)
    db.exec(`CREATE TABLE usage_daily (key_id TEXT NOT NULL, day TEXT NOT NULL, name TEXT NOT NULL,
      runs INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
      usd REAL NOT NULL, PRIMARY KEY (key_id, day)) WITHOUT ROWID`)
    db.prepare('INSERT INTO usage_daily VALUES (?, ?, ?, 1, 10, 3, 0.009)').run(
      ada.id,
      utcDay(),
      'ada'
    )
    db.pragma('user_version = 1')
    db.close()
    const store = createSqliteUsageStore(path)
    await store.record(ada, { ...charge(0.0005), firstCallUsd: 0.003 })
    await expect(store.begin(ada, { dailyUsd: 0.01 })).rejects.toThrow(/at the least/)
    expect((await store.report())[ada.id]?.today.runs).toBe(2)
    store.close?.()
  })

  it('refuses a database from a newer version rather than guessing', async () => {
    const path = join(dir, 'usage.db')
    const db = new Database(path)
    db.pragma(`user_version = ${USAGE_SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => createSqliteUsageStore(path)).toThrow(/newer version/)
    expect(() => openSqliteUsageReader(path)).toThrow(/usage schema/)
    expect(openSqliteUsageReader(join(dir, 'absent.db'))).toBeUndefined()
  })

  it('loses nothing with writers in three processes at once', async () => {
    const path = join(dir, 'usage.db')
    const store = createSqliteUsageStore(path)
    const writer = fileURLToPath(new URL('../helpers/usage-writer.ts', import.meta.url))
    const runWriter = (name: string) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', writer, path, name, '1000'], {
          stdio: ['ignore', 'inherit', 'inherit'],
        })
        child.once('error', reject)
        child.once('close', resolve)
      })
    // This process writes while the others do (their start-up included), a few at a time.
    const local = (async () => {
      for (let i = 0; i < 1000; i++) {
        await store.record(ada, charge(0.001))
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    expect(await Promise.all([runWriter('ada'), runWriter('ada'), local])).toEqual([
      0,
      0,
      undefined,
    ])
    const report = (await store.report())[ada.id]
    expect(report?.total.runs).toBe(3000)
    expect(report?.total.input_tokens).toBe(30_000)
    expect(report?.total.usd).toBeCloseTo(3, 9)
    store.close?.()
  }, 30_000)
})
