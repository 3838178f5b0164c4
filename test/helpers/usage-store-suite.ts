/**
 * What every usage store keeps to, whatever holds its numbers (memory, SQLite, PostgreSQL): limits
 * decided once, reservations against the budget, the least first call, per-day reports. Each
 * backend's test file runs it on its own store.
 */
import { describe, expect, it } from 'vitest'
import { type UsageStore, utcDay } from '../../src/usage/store.js'
import { runCharge } from './run-charge.js'

export const ada = { id: 'a'.repeat(64), name: 'ada' }
export const bob = { id: 'b'.repeat(64), name: 'bob' }
const charge = runCharge

export const describeUsageStore = (label: string, create: () => UsageStore | Promise<UsageStore>) =>
  describe(`the ${label} usage store`, () => {
    it('admits runs up to max_concurrent, and again once one is released', async () => {
      const store = await create()
      const first = await store.begin(ada, { maxConcurrent: 2 })
      await store.begin(ada, { maxConcurrent: 2 })
      await expect(store.begin(ada, { maxConcurrent: 2 })).rejects.toMatchObject({
        type: 'quota_exceeded',
        retryAfter: 2,
      })
      // Another key has its own places.
      await store.begin(bob, { maxConcurrent: 1 })
      await first.release()
      await first.release()
      await store.begin(ada, { maxConcurrent: 2 })
      expect((await store.report())[ada.id]?.active).toBe(2)
      store.close?.()
    })

    it("refuses a key that spent today's budget, until tomorrow", async () => {
      const store = await create()
      await store.record(ada, charge(0.4))
      await store.begin(ada, { dailyUsd: 0.5 })
      await store.record(ada, charge(0.2))
      const refused = store.begin(ada, { dailyUsd: 0.5 })
      await expect(refused).rejects.toMatchObject({ type: 'quota_exceeded' })
      await expect(refused).rejects.toThrow(/daily budget of \$0.5/)
      await store.begin(bob, { dailyUsd: 0.5 })
      store.close?.()
    })

    it('reserves what a budgeted run may spend, so a burst cannot spend past the budget', async () => {
      const store = await create()
      // Less left than one run costs: the first run reserves all of it, the rest wait for it.
      const first = await store.begin(ada, { dailyUsd: 0.001 })
      expect(first.capUsd).toBeCloseTo(0.001)
      await expect(store.begin(ada, { dailyUsd: 0.001 })).rejects.toThrow(/held by its runs/)
      await first.release()
      await store.record(ada, charge(0.0004))
      const second = await store.begin(ada, { dailyUsd: 0.001 })
      expect(second.capUsd).toBeCloseTo(0.0006)
      await second.release()
      // Plenty left: each run reserves at most RUN_CAP_USD, and a budgeted key runs 4 at once.
      const places = await Promise.all([0, 1, 2, 3].map(() => store.begin(bob, { dailyUsd: 100 })))
      expect(places.map((p) => p.capUsd)).toEqual([1, 1, 1, 1])
      await expect(store.begin(bob, { dailyUsd: 100 })).rejects.toThrow(/4 run\(s\) in progress/)
      // A key without a budget reserves nothing and has no cap.
      expect((await store.begin({ id: 'c', name: 'c' }, {})).capUsd).toBeUndefined()
      store.close?.()
    })

    it('refuses at admission a run that could not pay for the cheapest first call seen', async () => {
      const store = await create()
      // No call seen yet: nothing to go by, the run is let in (capped at what is left).
      expect((await store.begin(ada, { dailyUsd: 0.01 })).capUsd).toBeCloseTo(0.01)
      await store.record(ada, { ...charge(0.009), firstCallUsd: 0.004 })
      await store.record(ada, { ...charge(0.0005), firstCallUsd: 0.003 })
      // $0.0005 left, less than $0.003: refused until midnight, and the message says both.
      const refused = store.begin(ada, { dailyUsd: 0.01 })
      await expect(refused).rejects.toMatchObject({ type: 'quota_exceeded' })
      await expect(refused).rejects.toThrow(
        /has \$0.0005 left of its daily budget of \$0.01, less than a run costs at the least \(\$0.003/
      )
      expect((await refused.catch((e) => e)).retryAfter).toBeGreaterThan(2)
      // Another key with no call of its own goes by any key's: $0.002 left is not enough either.
      await store.record(bob, charge(0.008))
      await expect(store.begin(bob, { dailyUsd: 0.01 })).rejects.toThrow(/at the least/)
      // Enough left: let in, capped at what is left.
      expect((await store.begin(bob, { dailyUsd: 0.02 })).capUsd).toBeCloseTo(0.012)
      store.close?.()
    })

    it('reports today, the days with runs (newest first) and totals, per key', async () => {
      const store = await create()
      await store.record(ada, charge(0.25))
      await store.record(ada, charge(0.5))
      await store.record(bob, charge(1))
      const report = await store.report()
      const today = utcDay()
      const totals = {
        runs: 2,
        input_tokens: 20,
        output_tokens: 6,
        cache_read_tokens: 80,
        cache_write_tokens: 10,
        usd: 0.75,
      }
      expect(report[ada.id]).toEqual({
        name: 'ada',
        active: 0,
        today: { date: today, ...totals },
        total: totals,
        days: [{ date: today, ...totals }],
      })
      expect(report[bob.id]?.total.usd).toBe(1)
      store.close?.()
    })
  })
