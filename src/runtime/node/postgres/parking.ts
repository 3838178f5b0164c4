/**
 * Runs waiting for tool results, by call, in PostgreSQL (auth/parked-places.ts): a follow-up
 * through another front door finds the waiting run's reservation and takes it over, so the run
 * goes on in its one place instead of taking a second.
 */
import type { SharedParking } from '../../../auth/parked-places.js'
import type { Database } from './database.js'

export const createPostgresParking = (db: Database): SharedParking => ({
  async park(owner, calls, handle, ttlMs) {
    await db.use(
      (sql) => sql`
        INSERT INTO parked_places (owner, call_id, reservation_id, expires_at)
        SELECT ${owner}, call, ${handle}::uuid, now() + ${ttlMs} * interval '1 millisecond'
        FROM unnest(${sql.array(calls as string[])}::text[]) AS call
        ON CONFLICT (owner, call_id) DO UPDATE
          SET reservation_id = excluded.reservation_id, expires_at = excluded.expires_at`
    )
  },
  claim: (owner, calls) =>
    db.use(async (sql) => {
      const rows = await sql<{ reservation_id: string; live: boolean }[]>`
        DELETE FROM parked_places WHERE owner = ${owner} AND call_id IN ${sql(calls as string[])}
        RETURNING reservation_id, expires_at > now() AS live`
      await sql`DELETE FROM parked_places WHERE expires_at < now() - interval '1 hour'`
      return rows.find((row) => row.live)?.reservation_id
    }),
})
