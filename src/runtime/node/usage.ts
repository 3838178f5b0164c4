/**
 * Per-key usage in a SQLite file (better-sqlite3), so budgets survive a restart: one row per key
 * and UTC day, added to in a single statement per run (safe for concurrent writers, also from
 * other processes: WAL and a busy timeout). Runs in flight are this process's own and stay in
 * memory. The schema version is SQLite's `user_version`; each migration moves it by one.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { DayUsage, KeyUsage } from '../../contract/usage.js'
import { ConfigError } from '../../errors/index.js'
import { ADD_CHARGE, CHARGE_COLUMNS, SUM_TOTALS, TOTAL_COLUMNS, totalsIn } from '../../usage/sql.js'
import {
  createInFlight,
  FLOOR_DAYS,
  firstDay,
  keyUsageOf,
  noUsage,
  REPORT_DAYS,
  totalsOf,
  type UsageStore,
  utcDay,
} from '../../usage/store.js'

const MIGRATIONS = [
  `CREATE TABLE usage_daily (
     key_id TEXT NOT NULL,
     day TEXT NOT NULL,
     name TEXT NOT NULL,
     runs INTEGER NOT NULL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     usd REAL NOT NULL,
     PRIMARY KEY (key_id, day)
   ) WITHOUT ROWID`,
  // The cheapest first model call of the key's day (admission's floor, usage/store.ts).
  'ALTER TABLE usage_daily ADD COLUMN least_call_usd REAL',
  // Prompt cache reads and writes (what input_tokens leaves out).
  `ALTER TABLE usage_daily ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE usage_daily ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0`,
]
export const USAGE_SCHEMA_VERSION = MIGRATIONS.length

const migrate = (db: Database.Database) => {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > MIGRATIONS.length) {
    throw new ConfigError(
      `the usage database was written by a newer version (schema ${version}, this one knows ${MIGRATIONS.length})`
    )
  }
  db.transaction(() => {
    for (const [i, sql] of MIGRATIONS.entries()) {
      if (i < version) continue
      db.exec(sql)
      db.pragma(`user_version = ${i + 1}`)
    }
  }).immediate()
}

/** The usage store on `path`, created (and migrated) if needed. */
export const createSqliteUsageStore = (path: string): UsageStore => {
  mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // With WAL, NORMAL syncs at checkpoints rather than on every commit: a run's write costs
  // microseconds, not a disk flush on the event loop, and survives a crash of the process.
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  return storeOn(db)
}

/** The database on `path` for reading its report, or undefined when there is none. */
export const openSqliteUsageReader = (path: string): UsageStore | undefined => {
  if (path !== ':memory:' && !existsSync(path)) return undefined
  const db = new Database(path, { readonly: true, fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  const version = db.pragma('user_version', { simple: true }) as number
  if (version !== USAGE_SCHEMA_VERSION) {
    db.close()
    throw new ConfigError(
      `${path} has usage schema ${version}; this version reads ${USAGE_SCHEMA_VERSION}`
    )
  }
  return storeOn(db)
}

const storeOn = (db: Database.Database): UsageStore => {
  const add = db.prepare(
    `INSERT INTO usage_daily (key_id, day, ${CHARGE_COLUMNS})
     VALUES (@id, @day, @name, ${TOTAL_COLUMNS.map((c) => `@${c}`).join(', ')}, @least)
     ON CONFLICT (key_id, day) DO UPDATE SET ${ADD_CHARGE}`
  )
  const spent = db.prepare('SELECT usd FROM usage_daily WHERE key_id = ? AND day = ?').pluck()
  // The key's own least first call, else any key's.
  const leastCall = db
    .prepare(
      `SELECT COALESCE(
         (SELECT MIN(least_call_usd) FROM usage_daily WHERE key_id = @id AND day >= @since),
         (SELECT MIN(least_call_usd) FROM usage_daily WHERE day >= @since))`
    )
    .pluck()
  const recent = db.prepare(
    `SELECT key_id, name, day AS date, ${TOTAL_COLUMNS.join(', ')}
     FROM usage_daily WHERE day >= ? ORDER BY day`
  )
  const totals = db.prepare(
    `SELECT key_id, ${TOTAL_COLUMNS.join(', ')},
       (SELECT name FROM usage_daily AS last WHERE last.key_id = totals.key_id
        ORDER BY day DESC LIMIT 1) AS name
     FROM (SELECT key_id, ${SUM_TOTALS} FROM usage_daily GROUP BY key_id) AS totals`
  )
  const inFlight = createInFlight()
  const names = new Map<string, string>()

  return {
    async begin({ id, name }, limits) {
      // Today's spend is read only for a key with a budget: one query less on every other run.
      const budgeted = limits.dailyUsd !== undefined
      const today = budgeted ? ((spent.get(id, utcDay()) as number) ?? 0) : 0
      const floor = budgeted
        ? ((leastCall.get({ id, since: firstDay(FLOOR_DAYS) }) as number | null) ?? undefined)
        : undefined
      const admission = inFlight.admit(id, limits, today, floor)
      names.set(id, name)
      return admission
    },
    async record({ id, name }, charge) {
      add.run({ id, day: utcDay(), name, ...totalsOf(charge), least: charge.firstCallUsd ?? null })
    },
    async report(days = REPORT_DAYS) {
      type Row = DayUsage & { key_id: string; name: string }
      const byKey = new Map<string, DayUsage[]>()
      for (const row of recent.all(firstDay(days)) as Row[]) {
        byKey.set(row.key_id, [
          ...(byKey.get(row.key_id) ?? []),
          { date: row.date, ...totalsIn(row) },
        ])
      }
      const report: Record<string, KeyUsage> = {}
      for (const row of totals.all() as Row[]) {
        const { key_id, name } = row
        const total = totalsIn(row)
        report[key_id] = keyUsageOf(
          name,
          inFlight.count(key_id),
          byKey.get(key_id) ?? [],
          total,
          days
        )
      }
      for (const id of inFlight.ids()) {
        report[id] ??= keyUsageOf(names.get(id) ?? '', inFlight.count(id), [], noUsage(), days)
      }
      return report
    },
    close: () => {
      db.close()
    },
  }
}
