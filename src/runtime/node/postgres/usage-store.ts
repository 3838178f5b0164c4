/**
 * Per-key usage in PostgreSQL, shared by every front door on the same database: a run is admitted
 * under the key's advisory lock against every front door's runs in flight (`usage_reservations`),
 * each holding its place and what it reserved of the budget on a lease that its front door
 * renews. A front door that dies stops renewing, and its reservations lapse within the lease.
 * A charge or a release that cannot be written is kept and written before the next admission, so
 * a budget never counts less than was spent, nor holds a place that was given back.
 */
import { randomUUID } from 'node:crypto'
import type { RunCharge } from '../../../contract/runner.js'
import type { DayUsage, KeyUsage } from '../../../contract/usage.js'
import type { Logger } from '../../../lib/logger.js'
import { TOTAL_COLUMNS } from '../../../usage/sql.js'
import {
  admitWithinLimits,
  FLOOR_DAYS,
  firstDay,
  keyUsageOf,
  noUsage,
  REPORT_DAYS,
  type Release,
  totalsOf,
  type UsageKey,
  type UsageStore,
  type UsageTotals,
  utcDay,
} from '../../../usage/store.js'
import type { Database, Sql } from './database.js'

export type PostgresUsageOptions = {
  /** How long a reservation lives without its front door renewing it. Default 30 s. */
  leaseMs?: number
  logger?: Logger
}

/** Writes kept while the store cannot be reached (beyond it the oldest are dropped, logged). */
const MAX_PENDING = 10_000

type Write = (sql: Sql) => Promise<unknown>

const totalsOfRow = (row: Record<string, unknown>): UsageTotals =>
  Object.fromEntries(TOTAL_COLUMNS.map((c) => [c, Number(row[c] ?? 0)])) as UsageTotals

const writeCharge = (sql: Sql, key: UsageKey, day: string, charge: RunCharge) => {
  const t = totalsOf(charge)
  return sql`
    INSERT INTO usage_daily AS u (key_id, day, name, runs, input_tokens, output_tokens,
      cache_read_tokens, cache_write_tokens, usd, least_call_usd)
    VALUES (${key.id}, ${day}, ${key.name}, ${t.runs}, ${t.input_tokens}, ${t.output_tokens},
      ${t.cache_read_tokens}, ${t.cache_write_tokens}, ${t.usd}, ${charge.firstCallUsd ?? null})
    ON CONFLICT (key_id, day) DO UPDATE SET
      name = excluded.name,
      runs = u.runs + excluded.runs,
      input_tokens = u.input_tokens + excluded.input_tokens,
      output_tokens = u.output_tokens + excluded.output_tokens,
      cache_read_tokens = u.cache_read_tokens + excluded.cache_read_tokens,
      cache_write_tokens = u.cache_write_tokens + excluded.cache_write_tokens,
      usd = u.usd + excluded.usd,
      least_call_usd = LEAST(u.least_call_usd, excluded.least_call_usd)`
}

export const createPostgresUsageStore = (
  db: Database,
  { leaseMs = 30_000, logger }: PostgresUsageOptions = {}
): UsageStore => {
  const pending: Write[] = []
  // One writer at a time, so nothing is written twice.
  let flushing: Promise<void> | undefined
  const flush = () => {
    flushing ??= (async () => {
      for (let next = pending[0]; next; next = pending[0]) {
        await db.use(next)
        pending.shift()
      }
    })().finally(() => {
      flushing = undefined
    })
    return flushing
  }
  /** Writes now, or once the store is back. */
  const write = async (what: string, next: Write) => {
    pending.push(next)
    if (pending.length > MAX_PENDING) {
      pending.shift()
      logger?.error('the shared store has been out of reach too long: a write was dropped')
    }
    await flush().catch((error) =>
      logger?.warn(`${what} waits for the shared store`, { error: String(error) })
    )
  }
  const leases = new Set<ReturnType<typeof setInterval>>()
  // This front door, as the holder of its reservations: once another took one over (adopt),
  // this one's renewals and release leave it alone.
  const holder = randomUUID()
  /** Renews the reservation while its run goes on here; its release, given once. */
  const hold = (id: string): Release => {
    // A renewal that fails is tried again at the next tick.
    const lease = setInterval(
      () =>
        void db
          .use(
            (sql) => sql`
              UPDATE usage_reservations SET expires_at = now() + ${leaseMs} * interval '1 millisecond'
              WHERE id = ${id} AND holder = ${holder}`
          )
          .catch((error) =>
            logger?.warn('a reservation could not be renewed', { error: String(error) })
          ),
      Math.max(100, Math.floor(leaseMs / 3))
    )
    lease.unref()
    leases.add(lease)
    let released = false
    return async () => {
      if (released) return
      released = true
      clearInterval(lease)
      leases.delete(lease)
      await write(
        'a release',
        (sql) => sql`DELETE FROM usage_reservations WHERE id = ${id} AND holder = ${holder}`
      )
    }
  }

  return {
    async begin(key, limits) {
      await flush()
      const id = randomUUID()
      const budgeted = limits.dailyUsd !== undefined
      const capUsd = await db.use((sql) =>
        sql.begin(async (tx) => {
          // One admission per key at a time, across every front door.
          await tx`SELECT pg_advisory_xact_lock(hashtextextended(${key.id}, 0))`
          // Places of front doors that died long ago, which nobody will give back.
          await tx`DELETE FROM usage_reservations WHERE key_id = ${key.id}
                   AND expires_at < now() - ${leaseMs * 10} * interval '1 millisecond'`
          const [held = { count: 0, reserved: 0 }] = await tx`
            SELECT count(*)::int AS count, COALESCE(SUM(reserved_usd), 0)::float8 AS reserved
            FROM usage_reservations WHERE key_id = ${key.id} AND expires_at > now()`
          let today = 0
          let floor: number | undefined
          if (budgeted) {
            const [row] = await tx`
              SELECT usd::float8 AS usd FROM usage_daily WHERE key_id = ${key.id} AND day = ${utcDay()}`
            today = Number(row?.usd ?? 0)
            const since = firstDay(FLOOR_DAYS)
            const [least] = await tx`
              SELECT COALESCE(
                (SELECT MIN(least_call_usd) FROM usage_daily WHERE key_id = ${key.id} AND day >= ${since}),
                (SELECT MIN(least_call_usd) FROM usage_daily WHERE day >= ${since}))::float8 AS usd`
            floor = least?.usd == null ? undefined : Number(least.usd)
          }
          const admitted = admitWithinLimits(limits, held.count, today, held.reserved, floor)
          await tx`
            INSERT INTO usage_reservations (id, key_id, name, reserved_usd, holder, expires_at)
            VALUES (${id}, ${key.id}, ${key.name}, ${admitted.capUsd ?? 0}, ${holder},
                    now() + ${leaseMs} * interval '1 millisecond')`
          return admitted.capUsd
        })
      )
      return { release: hold(id), handle: id, ...(capUsd !== undefined && { capUsd }) }
    },
    async adopt(handle) {
      const [taken] = await db.use(
        (sql) => sql`
          UPDATE usage_reservations SET holder = ${holder},
            expires_at = now() + ${leaseMs} * interval '1 millisecond'
          WHERE id = ${handle} AND expires_at > now() RETURNING id`
      )
      return taken ? hold(handle) : undefined
    },
    async record(key, charge) {
      const day = utcDay()
      await write('a charge', (sql) => writeCharge(sql, key, day, charge))
    },
    async report(days = REPORT_DAYS) {
      return db.use(async (sql) => {
        const since = firstDay(days)
        const recent = await sql`
          SELECT key_id, day AS date, ${sql(TOTAL_COLUMNS as unknown as string[])}
          FROM usage_daily WHERE day >= ${since} ORDER BY day`
        const totals = await sql`
          SELECT key_id, (array_agg(name ORDER BY day DESC))[1] AS name,
            ${sql.unsafe(TOTAL_COLUMNS.map((c) => `SUM(${c})::float8 AS ${c}`).join(', '))}
          FROM usage_daily GROUP BY key_id`
        const active = await sql`
          SELECT key_id, (array_agg(name))[1] AS name, count(*)::int AS count
          FROM usage_reservations WHERE expires_at > now() GROUP BY key_id`
        const byKey = new Map<string, DayUsage[]>()
        for (const row of recent) {
          const list = byKey.get(row.key_id) ?? []
          list.push({ date: row.date, ...totalsOfRow(row) })
          byKey.set(row.key_id, list)
        }
        const counts = new Map(active.map((row) => [row.key_id as string, row]))
        const report: Record<string, KeyUsage> = {}
        for (const row of totals) {
          const id = row.key_id as string
          const count = Number(counts.get(id)?.count ?? 0)
          report[id] = keyUsageOf(row.name, count, byKey.get(id) ?? [], totalsOfRow(row), days)
        }
        for (const [id, row] of counts) {
          report[id] ??= keyUsageOf(row.name, Number(row.count), [], noUsage(), days)
        }
        return report
      })
    },
    close() {
      for (const lease of leases) clearInterval(lease)
      leases.clear()
    },
  }
}
