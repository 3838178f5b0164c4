/**
 * Stored Responses in PostgreSQL, so `previous_response_id` and `GET /v1/responses/{id}` work
 * through any front door. The same bounds as in memory: a lifetime, records per key (a key past
 * its count loses its oldest), records in all, and a size per record.
 */
import {
  MAX_RECORD_BYTES,
  notStored,
  RESPONSE_TTL_MS,
  type ResponseStore,
  type ResponseStoreOptions,
  type StoredResponse,
} from '../../../compat/responses/store.js'
import type { Database } from './database.js'

export const createPostgresResponseStore = (
  db: Database,
  {
    ttlMs = RESPONSE_TTL_MS,
    max = 100_000,
    maxPerOwner = 1_000,
    maxRecordBytes = MAX_RECORD_BYTES,
  }: Omit<ResponseStoreOptions, 'held'> = {}
): ResponseStore => {
  const find = (id: string, owner: string) =>
    db.use(async (sql) => {
      const [row] = await sql`
        SELECT record FROM stored_responses
        WHERE id = ${id} AND owner = ${owner} AND created_at > now() - ${ttlMs} * interval '1 millisecond'`
      if (!row) throw notStored(id)
      return row.record as StoredResponse
    })
  return {
    maxRecordBytes,
    async put(id, record) {
      const bytes = Buffer.byteLength(JSON.stringify(record))
      if (bytes > maxRecordBytes) return
      await db.use((sql) =>
        sql.begin(async (tx) => {
          await tx`
            INSERT INTO stored_responses (id, owner, record, bytes)
            VALUES (${id}, ${record.owner}, ${tx.json(record as never)}, ${bytes})
            ON CONFLICT (id) DO UPDATE SET record = excluded.record, bytes = excluded.bytes`
          // The key's oldest beyond its count, and anything past its lifetime, go.
          await tx`
            DELETE FROM stored_responses WHERE id IN (
              SELECT id FROM stored_responses WHERE owner = ${record.owner}
              ORDER BY created_at DESC OFFSET ${maxPerOwner})`
          await tx`
            DELETE FROM stored_responses WHERE id IN (
              SELECT id FROM stored_responses WHERE created_at <= now() - ${ttlMs} * interval '1 millisecond'
              LIMIT 100)`
          await tx`
            DELETE FROM stored_responses WHERE id IN (
              SELECT id FROM stored_responses ORDER BY created_at DESC OFFSET ${max})`
        })
      )
    },
    get: find,
    async delete(id, owner) {
      await find(id, owner)
      await db.use((sql) => sql`DELETE FROM stored_responses WHERE id = ${id} AND owner = ${owner}`)
    },
  }
}
