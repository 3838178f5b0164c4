/**
 * The key's kept sessions' transcripts inside its Durable Object (durable-session-archive.ts):
 * the latest of each, for the sessions' lifetime, the key's most recently used first.
 */
import { Hono } from 'hono'
import { NotFoundError } from '../../errors/index.js'

type Sql = <T>(query: string, ...bindings: unknown[]) => T[]

/** As on a runner host: a week unused, 50 per key (CLAUDE_SESSION_TTL_HOURS, …_PER_KEY). */
const TTL_MS = 7 * 24 * 3600_000
const MAX_SESSIONS = 50

export const createSessionObjectRoutes = (sql: Sql) =>
  new Hono()
    .put('/:id', async (c) => {
      sql('DELETE FROM sessions WHERE at < ?', Date.now() - TTL_MS)
      sql(
        'INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)',
        c.req.param('id'),
        await c.req.text(),
        Date.now()
      )
      sql(
        'DELETE FROM sessions WHERE id NOT IN (SELECT id FROM sessions ORDER BY at DESC LIMIT ?)',
        MAX_SESSIONS
      )
      return c.json({ ok: true })
    })
    .get('/:id', (c) => {
      const [row] = sql<{ transcript: string }>(
        'SELECT transcript FROM sessions WHERE id = ? AND at >= ?',
        c.req.param('id'),
        Date.now() - TTL_MS
      )
      if (!row) throw new NotFoundError('No such session')
      return c.body(row.transcript, 200, { 'content-type': 'application/x-ndjson' })
    })
    .delete('/:id', (c) => {
      sql('DELETE FROM sessions WHERE id = ?', c.req.param('id'))
      return c.json({ ok: true })
    })
