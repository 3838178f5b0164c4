/**
 * Anthropic thread replies in PostgreSQL, so a thread started through one front door continues
 * through another (compat/anthropic/thread-replies.ts). Taking a reply is one conditional UPDATE,
 * so two front doors cannot both continue it. A continuation whose front door died is free again
 * once it is older than the longest run (`CLAUDE_MAX_TIMEOUT_MS`).
 */
import {
  MAX_REPLIES_PER_OWNER,
  refusalFor,
  type ThreadReplies,
} from '../../../compat/anthropic/thread-replies.js'
import type { Database } from './database.js'

export const createPostgresThreadReplies = (
  db: Database,
  { maxPerOwner = MAX_REPLIES_PER_OWNER, staleMs = 900_000 } = {}
): ThreadReplies => ({
  remember: (replyId, sessionId, owner) =>
    db.use((sql) =>
      sql.begin(async (tx) => {
        await tx`INSERT INTO thread_replies (reply_id, session_id, owner)
                 VALUES (${replyId}, ${sessionId}, ${owner}) ON CONFLICT (reply_id) DO NOTHING`
        await tx`DELETE FROM thread_replies WHERE reply_id IN (
                   SELECT reply_id FROM thread_replies WHERE owner = ${owner}
                   ORDER BY created_at DESC OFFSET ${maxPerOwner})`
      })
    ),
  claim: (replyId, owner) =>
    db.use(async (sql) => {
      const [taken] = await sql<{ session_id: string }[]>`
        UPDATE thread_replies SET state = 'continuing', claimed_at = now()
        WHERE reply_id = ${replyId} AND owner = ${owner}
          AND (state = 'open' OR (state = 'continuing'
               AND claimed_at < now() - ${staleMs} * interval '1 millisecond'))
        RETURNING session_id`
      if (taken) return taken.session_id
      const [found] = await sql<{ state: 'continuing' | 'continued' }[]>`
        SELECT state FROM thread_replies WHERE reply_id = ${replyId} AND owner = ${owner}`
      throw refusalFor(found?.state)
    }),
  async settle(replyId, continued) {
    await db.use(
      (sql) => sql`UPDATE thread_replies SET state = ${continued ? 'continued' : 'open'}
                   WHERE reply_id = ${replyId}`
    )
  },
})
