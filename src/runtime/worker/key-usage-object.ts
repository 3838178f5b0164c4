/**
 * The edge's usage store: a SQLite-backed Durable Object per API key, so every Workers isolate
 * sees the same runs in flight and the same spend. Runs in flight are leases that expire unless
 * renewed, so a front door that vanished mid-run frees its places. One more object, the index,
 * lists the keys that have used the API, for /admin/usage. It also keeps the key's stored
 * Responses, the events of its background ones and its thread replies, so `previous_response_id`,
 * resuming and continuing a thread work whichever isolate a request lands on. Each request is
 * handled in one synchronous step, so checking a limit and taking a place cannot interleave.
 */
import { Hono } from 'hono'
import * as v from 'valibot'
import { notStored, RESPONSE_TTL_MS } from '../../compat/responses/store.js'
import { Amount } from '../../contract/run.js'
import { UsageTotals } from '../../contract/usage.js'
import { NotFoundError } from '../../errors/index.js'
import { createErrorHandler } from '../../http/errors.js'
import { jsonBody } from '../../http/validation.js'
import { silentLogger } from '../../lib/logger.js'
import { ADD_CHARGE, CHARGE_COLUMNS, SUM_TOTALS, TOTAL_COLUMNS } from '../../usage/sql.js'
import {
  admitWithinLimits,
  FLOOR_DAYS,
  firstDay,
  keyUsageOf,
  noUsage,
  utcDay,
} from '../../usage/store.js'
import { BACKGROUND_MIGRATION, createBackgroundObjectRoutes } from './background-object-routes.js'
import { createKeptRowsRoutes } from './kept-rows-routes.js'
import { createParkingObjectRoutes, PARKING_MIGRATION } from './parking-object-routes.js'
import { createThreadObjectRoutes, THREADS_MIGRATION } from './thread-object-routes.js'

type SqlValue = string | number | null | ArrayBuffer
type SqlCursor = { toArray(): Array<Record<string, SqlValue>> }
/** The part of a Durable Object's state this uses (types free of the Workers runtime's). */
export type UsageObjectState = {
  storage: { sql: { exec(query: string, ...bindings: unknown[]): SqlCursor } }
}

const MIGRATIONS = [
  `CREATE TABLE days (day TEXT PRIMARY KEY, name TEXT NOT NULL, runs INTEGER NOT NULL,
     input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, usd REAL NOT NULL);
   CREATE TABLE leases (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
   CREATE TABLE keys (id TEXT PRIMARY KEY, name TEXT NOT NULL)`,
  // What a run of a key with a budget reserved of it while in flight.
  'ALTER TABLE leases ADD COLUMN reserved REAL NOT NULL DEFAULT 0',
  // The key's stored Responses (durable-response-store.ts).
  'CREATE TABLE responses (id TEXT PRIMARY KEY, record TEXT NOT NULL, at INTEGER NOT NULL)',
  // The key's background responses (durable-background-log.ts).
  BACKGROUND_MIGRATION,
  // The cheapest first model call of the day (admission's floor, usage/store.ts).
  'ALTER TABLE days ADD COLUMN least_call_usd REAL',
  // Prompt cache reads and writes (what input_tokens leaves out).
  `ALTER TABLE days ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE days ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0`,
  // The key's Anthropic thread replies (durable-thread-replies.ts).
  THREADS_MIGRATION,
  // Which isolate holds a lease (another takes it over for a tool call's follow-up), and the
  // leases of runs waiting for tool results, by call (parking-object-routes.ts).
  `ALTER TABLE leases ADD COLUMN holder TEXT NOT NULL DEFAULT '';
   ${PARKING_MIGRATION}`,
  // The key's kept sessions' transcripts (durable-session-archive.ts).
  'CREATE TABLE sessions (id TEXT PRIMARY KEY, transcript TEXT NOT NULL, at INTEGER NOT NULL)',
]

/** Stored Responses kept per key; the oldest go first beyond it. */
const MAX_RESPONSES = 1_000

const Limits = v.object({
  maxConcurrent: v.optional(v.number()),
  dailyUsd: v.optional(v.number()),
})
const LeaseMs = v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(3_600_000))
/** The isolate's own id: a lease another took over is no longer renewed or released by it. */
const Holder = v.optional(v.string(), '')
const Begin = v.object({ name: v.string(), limits: Limits, leaseMs: LeaseMs, holder: Holder })
const Renew = v.object({ lease: v.string(), leaseMs: LeaseMs, holder: Holder })
const Record_ = v.object({
  name: v.string(),
  totals: UsageTotals,
  leastCallUsd: v.optional(Amount),
})
const Touch = v.object({ id: v.string(), name: v.string() })

export class KeyUsageObject {
  private readonly app

  constructor(state: UsageObjectState) {
    const sql = <T>(query: string, ...bindings: unknown[]) =>
      state.storage.sql.exec(query, ...bindings).toArray() as T[]
    sql('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)')
    const version = sql<{ version: number }>('SELECT version FROM schema_version')[0]?.version ?? 0
    for (const [i, migration] of MIGRATIONS.entries()) if (i >= version) sql(migration)
    if (version === 0) sql('INSERT INTO schema_version VALUES (?)', MIGRATIONS.length)
    else sql('UPDATE schema_version SET version = ?', Math.max(version, MIGRATIONS.length))

    const inFlight = () => {
      sql('DELETE FROM leases WHERE expires_at <= ?', Date.now())
      const [row] = sql<{ n: number; reserved: number | null }>(
        'SELECT COUNT(*) AS n, SUM(reserved) AS reserved FROM leases'
      )
      return { count: row?.n ?? 0, reserved: row?.reserved ?? 0 }
    }
    const spentToday = () =>
      sql<{ usd: number }>('SELECT usd FROM days WHERE day = ?', utcDay())[0]?.usd ?? 0
    const leastCall = () =>
      sql<{ usd: number | null }>(
        'SELECT MIN(least_call_usd) AS usd FROM days WHERE day >= ?',
        firstDay(FLOOR_DAYS)
      )[0]?.usd ?? undefined
    const lastName = () =>
      sql<{ name: string }>('SELECT name FROM days ORDER BY day DESC LIMIT 1')[0]?.name

    this.app = new Hono()
      .onError(createErrorHandler(silentLogger))
      .post('/begin', jsonBody(Begin), (c) => {
        const { limits, leaseMs, holder } = c.req.valid('json')
        const { count, reserved } = inFlight()
        const floor = limits.dailyUsd === undefined ? undefined : leastCall()
        const { capUsd } = admitWithinLimits(limits, count, spentToday(), reserved, floor)
        const lease = crypto.randomUUID()
        sql(
          'INSERT INTO leases (id, expires_at, reserved, holder) VALUES (?, ?, ?, ?)',
          lease,
          Date.now() + leaseMs,
          capUsd ?? 0,
          holder
        )
        return c.json({ lease, ...(capUsd !== undefined && { capUsd }) })
      })
      .post('/renew', jsonBody(Renew), (c) => {
        const { lease, leaseMs, holder } = c.req.valid('json')
        // Only a lease still held is renewed: a late renewal never brings back a released one.
        sql(
          'UPDATE leases SET expires_at = ? WHERE id = ? AND holder = ?',
          Date.now() + leaseMs,
          lease,
          holder
        )
        return c.json({ ok: true })
      })
      .post('/release', jsonBody(v.object({ lease: v.string(), holder: Holder })), (c) => {
        const { lease, holder } = c.req.valid('json')
        sql('DELETE FROM leases WHERE id = ? AND holder = ?', lease, holder)
        return c.json({ ok: true })
      })
      // Another isolate takes a live lease over (a tool call's follow-up reached it).
      .post('/adopt', jsonBody(Renew), (c) => {
        const { lease, leaseMs, holder } = c.req.valid('json')
        const [live] = sql<{ id: string }>(
          'SELECT id FROM leases WHERE id = ? AND expires_at > ?',
          lease,
          Date.now()
        )
        if (live) {
          sql(
            'UPDATE leases SET holder = ?, expires_at = ? WHERE id = ?',
            holder,
            Date.now() + leaseMs,
            lease
          )
        }
        return c.json({ adopted: Boolean(live) })
      })
      .post('/record', jsonBody(Record_), (c) => {
        const { name, totals, leastCallUsd } = c.req.valid('json')
        sql(
          `INSERT INTO days (day, ${CHARGE_COLUMNS})
           VALUES (?, ?, ${TOTAL_COLUMNS.map(() => '?').join(', ')}, ?)
           ON CONFLICT (day) DO UPDATE SET ${ADD_CHARGE}`,
          utcDay(),
          name,
          ...TOTAL_COLUMNS.map((c) => totals[c]),
          leastCallUsd ?? null
        )
        return c.json({ ok: true })
      })
      .get('/report', (c) => {
        const days = Math.min(366, Math.max(1, Math.trunc(Number(c.req.query('days'))) || 30))
        const rows = sql<UsageTotals & { date: string }>(
          `SELECT day AS date, ${TOTAL_COLUMNS.join(', ')} FROM days WHERE day >= ?`,
          firstDay(days)
        )
        const total = sql<UsageTotals>(`SELECT ${SUM_TOTALS} FROM days`)[0] ?? noUsage()
        // A key that only has runs in flight has no day yet: the index's name stands in.
        const name = lastName() ?? c.req.query('name') ?? ''
        return c.json(keyUsageOf(name, inFlight().count, rows, total, days))
      })
      // The index object's part: which keys have used the API.
      .post('/keys', jsonBody(Touch), (c) => {
        const { id, name } = c.req.valid('json')
        sql(
          'INSERT INTO keys VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name',
          id,
          name
        )
        return c.json({ ok: true })
      })
      .get('/keys', (c) =>
        c.json({ keys: sql<{ id: string; name: string }>('SELECT id, name FROM keys') })
      )
      // Stored responses and kept sessions: the object is the key's, so only its key reaches them.
      .route(
        '/responses',
        createKeptRowsRoutes(sql, {
          table: 'responses',
          column: 'record',
          ttlMs: RESPONSE_TTL_MS,
          max: MAX_RESPONSES,
          contentType: 'application/json',
          missing: notStored,
        })
      )
      .route(
        '/sessions',
        createKeptRowsRoutes(sql, {
          table: 'sessions',
          column: 'transcript',
          // As on a runner host (CLAUDE_SESSION_TTL_HOURS, CLAUDE_MAX_SESSIONS_PER_KEY).
          ttlMs: 7 * 24 * 3600_000,
          max: 50,
          contentType: 'application/x-ndjson',
          missing: () => new NotFoundError('No such session'),
        })
      )
      .route('/background', createBackgroundObjectRoutes(sql))
      .route('/threads', createThreadObjectRoutes(sql))
      .route('/parking', createParkingObjectRoutes(sql))
      .all('*', () => {
        throw new NotFoundError('No such usage operation')
      })
  }

  fetch(request: Request) {
    return this.app.fetch(request)
  }
}
