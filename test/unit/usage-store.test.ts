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
import { utcDay } from '../../src/usage/store.js'
import { runCharge } from '../helpers/run-charge.js'
import { ada, describeUsageStore } from '../helpers/usage-store-suite.js'

const charge = runCharge

let dir: string
beforeEach(async () => {
  dir = await tempDir('usage')
})
afterEach(async () => {
  await removeDir(dir)
})

describeUsageStore('memory', () => createMemoryUsageStore())
describeUsageStore('SQLite', () => createSqliteUsageStore(join(dir, 'usage.db')))

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
