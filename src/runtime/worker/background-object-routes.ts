/**
 * The key's background responses inside its Durable Object (see durable-background-log.ts): the
 * events and the response as it stands, in SQLite, and reads and stop-watches that wait in the
 * object for what they wait on. The isolate driving a run watches for a stop request every
 * 20 s, which says it is alive: a run not heard of for two minutes has lost its driver.
 */
import { Hono } from 'hono'
import {
  BACKGROUND_LIMITS,
  tooManyRunning,
  waitForWake,
} from '../../compat/responses/background-log.js'
import { NotFoundError } from '../../errors/index.js'
import { jsonBody } from '../../http/validation.js'
import {
  AppendBackground,
  OpenBackground,
  type StoppedReply,
  type StopReply,
} from './background-wire.js'

type Sql = <T>(query: string, ...bindings: unknown[]) => T[]

/** A run whose driver said nothing for this long is over (its isolate went away). */
const LOST_AFTER_MS = 120_000
/** Events answered per read; the reader asks again for more. */
const PAGE = 500
/** The longest a read or a watch waits in the object. */
const MAX_WAIT_MS = 30_000

export const BACKGROUND_MIGRATION = `CREATE TABLE background (id TEXT PRIMARY KEY,
   owner TEXT NOT NULL, snapshot TEXT NOT NULL, done INTEGER NOT NULL, stop INTEGER NOT NULL,
   seen_at INTEGER NOT NULL, ended_at INTEGER);
 CREATE TABLE background_events (id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL,
   PRIMARY KEY (id, seq))`

type Row = { owner: string; snapshot: string; done: number; stop: number; seen_at: number }

export const createBackgroundObjectRoutes = (sql: Sql) => {
  const waiters = new Map<string, Set<() => void>>()
  const wake = (id: string) => {
    for (const waiter of [...(waiters.get(id) ?? [])]) waiter()
  }
  /** Until `wake(id)`, or `ms` (at most MAX_WAIT_MS) have passed. */
  const wait = async (id: string, ms: number) => {
    const set = waiters.get(id) ?? new Set<() => void>()
    waiters.set(id, set)
    await waitForWake(set, Math.min(ms, MAX_WAIT_MS))
    if (set.size === 0) waiters.delete(id)
  }
  const row = (id: string) => {
    const [found] = sql<Row>(
      'SELECT owner, snapshot, done, stop, seen_at FROM background WHERE id = ?',
      id
    )
    if (found && !found.done && Date.now() - found.seen_at > LOST_AFTER_MS) lost(id, found)
    return found
  }
  /** Ends a run whose driver went away as failed, with the event a follower ends on. */
  const lost = (id: string, found: Row) => {
    const response = {
      ...(JSON.parse(found.snapshot) as Record<string, unknown>),
      status: 'failed',
      error: {
        code: 'runner_unavailable',
        message: 'The front door driving this background response went away; start it again',
      },
    }
    const [last] = sql<{ seq: number }>(
      'SELECT MAX(seq) AS seq FROM background_events WHERE id = ?',
      id
    )
    const event = { type: 'response.failed', sequence_number: (last?.seq ?? -1) + 1, response }
    insert(id, [event])
    found.snapshot = JSON.stringify(response)
    found.done = 1
    sql(
      'UPDATE background SET done = 1, ended_at = ?, snapshot = ? WHERE id = ?',
      Date.now(),
      found.snapshot,
      id
    )
    wake(id)
  }
  const mine = (id: string, owner: string | undefined) => {
    const found = row(id)
    if (!found || found.owner !== owner) throw new NotFoundError(`No background response '${id}'`)
    return found
  }
  const insert = (id: string, events: Array<{ sequence_number: number }>) => {
    for (const event of events)
      sql(
        'INSERT OR IGNORE INTO background_events VALUES (?, ?, ?)',
        id,
        event.sequence_number,
        JSON.stringify(event)
      )
  }

  return new Hono()
    .post('/:id/open', jsonBody(OpenBackground), (c) => {
      const { owner, events, snapshot } = c.req.valid('json')
      const gone = Date.now() - BACKGROUND_LIMITS.keepMs
      sql(
        'DELETE FROM background_events WHERE id IN (SELECT id FROM background WHERE ended_at < ?)',
        gone
      )
      sql('DELETE FROM background WHERE ended_at < ?', gone)
      const running = sql<{ id: string }>('SELECT id FROM background WHERE done = 0').filter(
        (r) => !row(r.id)?.done
      )
      // One object per key: the per-key bound is the one kept here.
      if (running.length >= BACKGROUND_LIMITS.maxPerOwner) throw tooManyRunning()
      sql(
        'INSERT INTO background VALUES (?, ?, ?, 0, 0, ?, NULL)',
        c.req.param('id'),
        owner,
        JSON.stringify(snapshot),
        Date.now()
      )
      insert(c.req.param('id'), events)
      return c.json({ ok: true })
    })
    .post('/:id/append', jsonBody(AppendBackground), (c) => {
      const id = c.req.param('id')
      const { events, snapshot, done } = c.req.valid('json')
      insert(id, events)
      sql(
        'UPDATE background SET snapshot = ?, seen_at = ?, done = MAX(done, ?), ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE id = ?',
        JSON.stringify(snapshot),
        Date.now(),
        done ? 1 : 0,
        done ? 1 : 0,
        Date.now(),
        id
      )
      wake(id)
      if (done) wake(`${id}:stop`)
      return c.json({ ok: true })
    })
    .get('/:id/events', async (c) => {
      const id = c.req.param('id')
      const after = Number(c.req.query('after'))
      const owner = c.req.query('owner')
      const newer = () =>
        sql<{ event: string }>(
          'SELECT event FROM background_events WHERE id = ? AND seq > ? ORDER BY seq LIMIT ?',
          id,
          after,
          PAGE
        )
      let events = newer()
      if (events.length === 0 && !mine(id, owner).done) {
        await wait(id, Number(c.req.query('wait')) || 0)
        events = newer()
      }
      const done = Boolean(mine(id, owner).done) && events.length < PAGE
      return c.body(`{"done":${done},"events":[${events.map((e) => e.event).join(',')}]}`, 200, {
        'content-type': 'application/json',
      })
    })
    .get('/:id', (c) =>
      c.body(mine(c.req.param('id'), c.req.query('owner')).snapshot, 200, {
        'content-type': 'application/json',
      })
    )
    .post('/:id/stop', (c) => {
      const id = c.req.param('id')
      const found = mine(id, c.req.query('owner'))
      if (found.done) return c.json({ stopping: false } satisfies StopReply)
      sql('UPDATE background SET stop = 1 WHERE id = ?', id)
      wake(`${id}:stop`)
      return c.json({ stopping: true } satisfies StopReply)
    })
    .get('/:id/stopped', async (c) => {
      const id = c.req.param('id')
      sql('UPDATE background SET seen_at = ? WHERE id = ?', Date.now(), id)
      const asked = () => Boolean(row(id)?.stop)
      if (!asked() && row(id)?.done === 0)
        await wait(`${id}:stop`, Number(c.req.query('wait')) || 0)
      return c.json({ stop: asked() } satisfies StoppedReply)
    })
}
