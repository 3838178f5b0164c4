/**
 * Kept sessions' transcripts in PostgreSQL (see adapters/remote/session-keeping.ts): saved after
 * each turn, so the session resumes on another runner host once its own is gone. The same bounds
 * as on a host: a lifetime without use, sessions per key (its least recently used go), and a
 * size (a transcript larger than it is not kept).
 */
import type { SessionArchive } from '../../../adapters/remote/session-keeping.js'
import type { Database } from './database.js'

export type SessionArchiveOptions = {
  /** CLAUDE_SESSION_TTL_HOURS, in ms. Default 7 days. */
  ttlMs?: number
  /** CLAUDE_MAX_SESSIONS_PER_KEY. Default 50. */
  maxPerOwner?: number
  /** CLAUDE_MAX_SESSION_MB, in bytes. Default 512 MiB. */
  maxBytes?: number
}

export const createPostgresSessionArchive = (
  db: Database,
  {
    ttlMs = 7 * 24 * 3600_000,
    maxPerOwner = 50,
    maxBytes = 512 * 1024 * 1024,
  }: SessionArchiveOptions = {}
): SessionArchive => ({
  async save(id, owner, transcript) {
    const bytes = Buffer.byteLength(transcript)
    await db.use((sql) =>
      sql.begin(async (tx) => {
        if (bytes > maxBytes) {
          await tx`DELETE FROM kept_sessions WHERE id = ${id} AND owner = ${owner}`
          return
        }
        await tx`
          INSERT INTO kept_sessions (id, owner, transcript, bytes) VALUES (${id}, ${owner}, ${transcript}, ${bytes})
          ON CONFLICT (id) DO UPDATE SET transcript = excluded.transcript, bytes = excluded.bytes,
            updated_at = now()
          WHERE kept_sessions.owner = excluded.owner`
        await tx`
          DELETE FROM kept_sessions WHERE id IN (
            SELECT id FROM kept_sessions WHERE owner = ${owner}
            ORDER BY updated_at DESC OFFSET ${maxPerOwner})`
        await tx`
          DELETE FROM kept_sessions WHERE id IN (
            SELECT id FROM kept_sessions
            WHERE updated_at < now() - ${ttlMs} * interval '1 millisecond' LIMIT 100)`
      })
    )
  },
  load: (id, owner) =>
    db.use(async (sql) => {
      const [row] = await sql<{ transcript: string }[]>`
        SELECT transcript FROM kept_sessions WHERE id = ${id} AND owner = ${owner}
          AND updated_at > now() - ${ttlMs} * interval '1 millisecond'`
      return row?.transcript
    }),
})
