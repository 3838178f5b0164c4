/**
 * Background responses' events in PostgreSQL, so a run started through one front door is polled,
 * followed from `starting_after` and cancelled through any other. Readers and the run's own
 * stop-watch wait for a NOTIFY on `cca_background` (the run's id, or `<id>:stop`), not by polling.
 * The front door driving a run says it is alive at each stop-watch (every 20 s); a run not heard
 * of for two minutes lost its driver and ends as failed, as at the edge.
 */
import {
  BACKGROUND_LIMITS,
  type BackgroundLimits,
  type BackgroundLog,
  type Snapshot,
  tooManyRunning,
  waitForWake,
} from '../../../compat/responses/background-log.js'
import type { StreamEvent } from '../../../compat/responses/output-items.js'
import type { Database, Sql } from './database.js'

const CHANNEL = 'cca_background'
const LOST_AFTER_MS = 120_000
/** Events answered per read; the reader asks again for more. */
const PAGE = 500

type Row = { owner: string; snapshot: Snapshot; done: boolean; stop: boolean; lost: boolean }

export const createPostgresBackgroundLog = (
  db: Database,
  {
    maxPerOwner = BACKGROUND_LIMITS.maxPerOwner,
    max = BACKGROUND_LIMITS.max,
    keepMs = BACKGROUND_LIMITS.keepMs,
    maxFinishedPerOwner = BACKGROUND_LIMITS.maxFinishedPerOwner,
  }: Omit<BackgroundLimits, 'held'> = {}
): BackgroundLog => {
  const waiters = new Map<string, Set<() => void>>()
  const wake = (key: string) => {
    for (const waiter of [...(waiters.get(key) ?? [])]) waiter()
  }
  let listening: Promise<unknown> | undefined
  const listen = () => {
    listening ??= db.listen(CHANNEL, wake).catch((error) => {
      listening = undefined
      throw error
    })
    return listening
  }
  /**
   * Watches `key` from now: a wake-up between the caller's read and its wait is not lost.
   * `wait` returns at once if one came already.
   */
  const watch = (key: string) => {
    const set = waiters.get(key) ?? new Set<() => void>()
    waiters.set(key, set)
    let woken = false
    const mark = () => {
      woken = true
    }
    set.add(mark)
    return {
      wait: (ms: number, signal?: AbortSignal) =>
        woken ? Promise.resolve() : waitForWake(set, ms, signal),
      end: () => {
        set.delete(mark)
        if (set.size === 0) waiters.delete(key)
      },
    }
  }
  const notify = (sql: Sql, key: string) => sql`SELECT pg_notify(${CHANNEL}, ${key})`

  const row = (id: string) =>
    db.use(async (sql) => {
      const [found] = await sql<Row[]>`
        SELECT owner, snapshot, done, stop,
          (NOT done AND seen_at < now() - ${LOST_AFTER_MS} * interval '1 millisecond') AS lost
        FROM background_runs WHERE id = ${id}`
      if (found?.lost) return lose(sql, id, found)
      return found
    })
  /** Ends a run whose driver went away as failed, with the event a follower ends on. */
  const lose = async (sql: Sql, id: string, found: Row): Promise<Row> => {
    const response = {
      ...found.snapshot,
      status: 'failed',
      error: {
        code: 'runner_unavailable',
        message: 'The front door driving this background response went away; start it again',
      },
    }
    await sql.begin(async (tx) => {
      const [last] = await tx`SELECT MAX(seq) AS seq FROM background_events WHERE id = ${id}`
      const event = { type: 'response.failed', sequence_number: (last?.seq ?? -1) + 1, response }
      await tx`INSERT INTO background_events VALUES (${id}, ${event.sequence_number}, ${tx.json(event as never)})
               ON CONFLICT DO NOTHING`
      await tx`UPDATE background_runs SET done = true, ended_at = now(), snapshot = ${tx.json(response as never)}
               WHERE id = ${id}`
      await notify(tx as unknown as Sql, id)
    })
    return { ...found, snapshot: response, done: true, lost: false }
  }
  const mine = async (id: string, owner: string) => {
    const found = await row(id)
    return found?.owner === owner ? found : undefined
  }
  const insert = (sql: Sql, id: string, events: StreamEvent[]) =>
    events.length === 0
      ? Promise.resolve()
      : sql`INSERT INTO background_events ${sql(
          events.map((event) => ({
            id,
            seq: event.sequence_number,
            event: sql.json(event as never),
          }))
        )} ON CONFLICT DO NOTHING`

  return {
    async open(id, owner, events, snapshot) {
      await db.use((sql) =>
        sql.begin(async (tx) => {
          const t = tx as unknown as Sql
          await tx`SELECT pg_advisory_xact_lock(hashtextextended('background', 0))`
          await tx`DELETE FROM background_runs
                   WHERE ended_at < now() - ${keepMs} * interval '1 millisecond'`
          await tx`DELETE FROM background_runs WHERE id IN (
                     SELECT id FROM background_runs WHERE owner = ${owner} AND done
                     ORDER BY ended_at DESC OFFSET ${maxFinishedPerOwner})`
          const [counts] = await tx`
            SELECT count(*) FILTER (WHERE owner = ${owner})::int AS mine, count(*)::int AS all
            FROM background_runs WHERE NOT done
              AND seen_at > now() - ${LOST_AFTER_MS} * interval '1 millisecond'`
          if ((counts?.mine ?? 0) >= maxPerOwner || (counts?.all ?? 0) >= max) {
            throw tooManyRunning()
          }
          await tx`INSERT INTO background_runs (id, owner, snapshot)
                   VALUES (${id}, ${owner}, ${tx.json(snapshot as never)})`
          await insert(t, id, events)
        })
      )
    },
    async append(id, events, snapshot, done) {
      await db.use((sql) =>
        sql.begin(async (tx) => {
          const t = tx as unknown as Sql
          await insert(t, id, events)
          await tx`UPDATE background_runs SET snapshot = ${tx.json(snapshot as never)}, seen_at = now(),
                     done = done OR ${done}, ended_at = CASE WHEN ${done} THEN now() ELSE ended_at END
                   WHERE id = ${id}`
          await notify(t, id)
          if (done) await notify(t, `${id}:stop`)
        })
      )
    },
    async read(id, owner, after, waitMs, signal) {
      await listen()
      const woken = watch(id)
      const newer = () =>
        db.use(
          (sql) => sql<{ event: StreamEvent }[]>`
            SELECT event FROM background_events WHERE id = ${id} AND seq > ${after}::bigint
            ORDER BY seq LIMIT ${PAGE}`
        )
      try {
        const found = await mine(id, owner)
        if (!found) return undefined
        let events = await newer()
        let done = found.done
        if (events.length === 0 && !done) {
          await woken.wait(waitMs, signal)
          events = await newer()
          done = Boolean((await mine(id, owner))?.done)
        }
        return { events: events.map((e) => e.event), done: done && events.length < PAGE }
      } finally {
        woken.end()
      }
    },
    snapshot: async (id, owner) => (await mine(id, owner))?.snapshot,
    async stop(id, owner) {
      const found = await mine(id, owner)
      if (!found || found.done) return false
      await db.use(async (sql) => {
        await sql`UPDATE background_runs SET stop = true WHERE id = ${id}`
        await notify(sql, `${id}:stop`)
      })
      return true
    },
    async stopped(id, waitMs, signal) {
      await listen()
      const woken = watch(`${id}:stop`)
      try {
        await db.use((sql) => sql`UPDATE background_runs SET seen_at = now() WHERE id = ${id}`)
        const found = await row(id)
        if (!found) return false
        if (!found.stop && !found.done) {
          await woken.wait(waitMs, signal)
          return Boolean((await row(id))?.stop)
        }
        return found.stop
      } finally {
        woken.end()
      }
    },
  }
}
