/**
 * The key's Anthropic thread replies inside its Durable Object (see durable-thread-replies.ts):
 * which kept session each reply continues, and whether it may, so a thread continues through
 * any isolate. Each request is one synchronous step, so two isolates cannot both take a reply.
 */
import { Hono } from 'hono'
import * as v from 'valibot'
import { MAX_REPLIES_PER_OWNER } from '../../compat/anthropic/thread-replies.js'
import { jsonBody } from '../../http/validation.js'

type Sql = <T>(query: string, ...bindings: unknown[]) => T[]

export const THREADS_MIGRATION = `CREATE TABLE thread_replies (reply_id TEXT PRIMARY KEY,
   session_id TEXT NOT NULL, state TEXT NOT NULL, claimed_at INTEGER, created_at INTEGER NOT NULL)`

/** A continuation whose isolate went away is free again after the longest run. */
const STALE_MS = 900_000

/** What a claim answers: the session, or why the reply cannot be continued now. */
export const ClaimReply = v.union([
  v.object({ sessionId: v.string() }),
  v.object({ refused: v.optional(v.picklist(['continuing', 'continued'])) }),
])

export const createThreadObjectRoutes = (sql: Sql) =>
  new Hono()
    .post('/:reply/remember', jsonBody(v.object({ sessionId: v.string() })), (c) => {
      sql(
        `INSERT OR IGNORE INTO thread_replies VALUES (?, ?, 'open', NULL, ?)`,
        c.req.param('reply'),
        c.req.valid('json').sessionId,
        Date.now()
      )
      sql(
        `DELETE FROM thread_replies WHERE reply_id NOT IN
           (SELECT reply_id FROM thread_replies ORDER BY created_at DESC LIMIT ?)`,
        MAX_REPLIES_PER_OWNER
      )
      return c.json({ ok: true })
    })
    .post('/:reply/claim', (c) => {
      const reply = c.req.param('reply')
      const [found] = sql<{ session_id: string; state: string; claimed_at: number | null }>(
        'SELECT session_id, state, claimed_at FROM thread_replies WHERE reply_id = ?',
        reply
      )
      const stale = found?.state === 'continuing' && Date.now() - (found.claimed_at ?? 0) > STALE_MS
      if (found && (found.state === 'open' || stale)) {
        sql(
          `UPDATE thread_replies SET state = 'continuing', claimed_at = ? WHERE reply_id = ?`,
          Date.now(),
          reply
        )
        return c.json({ sessionId: found.session_id })
      }
      return c.json({ refused: found?.state as 'continuing' | 'continued' | undefined })
    })
    .post('/:reply/settle', jsonBody(v.object({ continued: v.boolean() })), (c) => {
      sql(
        'UPDATE thread_replies SET state = ? WHERE reply_id = ?',
        c.req.valid('json').continued ? 'continued' : 'open',
        c.req.param('reply')
      )
      return c.json({ ok: true })
    })
