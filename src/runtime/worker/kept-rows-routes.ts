/**
 * A table of the key's Durable Object that keeps one text per id, for a lifetime and at most a
 * number of them (the oldest go first): its stored Responses, its kept sessions' transcripts.
 */
import { Hono } from 'hono'
import type { ClaudeError } from '../../errors/index.js'

type Sql = <T>(query: string, ...bindings: unknown[]) => T[]

export type KeptRows = {
  /** The table: `id TEXT PRIMARY KEY, <column> TEXT NOT NULL, at INTEGER NOT NULL`. */
  table: string
  column: string
  ttlMs: number
  max: number
  contentType: string
  /** The 404 for an id that is not kept (or no longer). */
  missing(id: string): ClaudeError
}

export const createKeptRowsRoutes = (sql: Sql, rows: KeptRows) =>
  new Hono()
    .put('/:id', async (c) => {
      const text = await c.req.text()
      sql(`DELETE FROM ${rows.table} WHERE at < ?`, Date.now() - rows.ttlMs)
      sql(
        `INSERT OR REPLACE INTO ${rows.table} VALUES (?, ?, ?)`,
        c.req.param('id'),
        text,
        Date.now()
      )
      sql(
        `DELETE FROM ${rows.table} WHERE id NOT IN
           (SELECT id FROM ${rows.table} ORDER BY at DESC LIMIT ?)`,
        rows.max
      )
      return c.json({ ok: true })
    })
    .get('/:id', (c) => {
      const [row] = sql<Record<string, string>>(
        `SELECT ${rows.column} AS text FROM ${rows.table} WHERE id = ? AND at >= ?`,
        c.req.param('id'),
        Date.now() - rows.ttlMs
      )
      if (!row?.text) throw rows.missing(c.req.param('id'))
      return c.body(row.text, 200, { 'content-type': rows.contentType })
    })
    .delete('/:id', (c) => {
      sql(`DELETE FROM ${rows.table} WHERE id = ?`, c.req.param('id'))
      return c.json({ ok: true })
    })
