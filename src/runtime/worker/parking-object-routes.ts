/**
 * The key's runs waiting for tool results, by call, inside its Durable Object (see
 * durable-parking.ts): a follow-up through another isolate finds the waiting run's lease and
 * takes it over, so the run goes on in its one place.
 */
import { Hono } from 'hono'
import * as v from 'valibot'
import { jsonBody } from '../../http/validation.js'

type Sql = <T>(query: string, ...bindings: unknown[]) => T[]

export const PARKING_MIGRATION = `CREATE TABLE parked (call_id TEXT PRIMARY KEY,
   lease TEXT NOT NULL, expires_at INTEGER NOT NULL)`

const Calls = v.pipe(v.array(v.string()), v.maxLength(128))

export const createParkingObjectRoutes = (sql: Sql) =>
  new Hono()
    .post(
      '/park',
      jsonBody(v.object({ calls: Calls, lease: v.string(), ttlMs: v.number() })),
      (c) => {
        const { calls, lease, ttlMs } = c.req.valid('json')
        sql('DELETE FROM parked WHERE expires_at <= ?', Date.now())
        for (const call of calls) {
          sql('INSERT OR REPLACE INTO parked VALUES (?, ?, ?)', call, lease, Date.now() + ttlMs)
        }
        return c.json({ ok: true })
      }
    )
    .post('/claim', jsonBody(v.object({ calls: Calls })), (c) => {
      let lease: string | undefined
      for (const call of c.req.valid('json').calls) {
        const [row] = sql<{ lease: string }>(
          'SELECT lease FROM parked WHERE call_id = ? AND expires_at > ?',
          call,
          Date.now()
        )
        lease ??= row?.lease
        sql('DELETE FROM parked WHERE call_id = ?', call)
      }
      return c.json({ lease: lease ?? null })
    })
