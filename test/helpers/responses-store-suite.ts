/**
 * What every store of stored Responses and background runs keeps to, whatever holds them (this
 * process's memory, PostgreSQL): a record only for the key that made it, events replayed after
 * any sequence number, readers woken when events come, a stop request reaching the run's watch,
 * and the running bounds. Each backend's test file runs it on its own stores.
 */
import { describe, expect, it } from 'vitest'
import type { BackgroundLog } from '../../src/compat/responses/background-log.js'
import type { StreamEvent } from '../../src/compat/responses/output-items.js'
import type { ResponseStore, StoredResponse } from '../../src/compat/responses/store.js'

const record = (owner: string, text: string): StoredResponse => ({
  owner,
  body: { id: 'resp_1', output_text: text },
  input: [{ type: 'message', role: 'user', content: text }],
  turns: [{ role: 'user', content: text }],
  calls: [],
  at: Date.now(),
})

const delta = (n: number) =>
  ({
    type: 'response.output_text.delta',
    sequence_number: n,
    delta: `d${n}`,
  }) as unknown as StreamEvent

export const describeResponseStore = (label: string, create: () => Promise<ResponseStore>) =>
  describe(`the ${label} response store`, () => {
    it('keeps a record for the key that made it, and for no other key', async () => {
      const store = await create()
      await store.put('resp_1', record('ada', 'hello'))
      expect((await store.get('resp_1', 'ada')).turns).toEqual([{ role: 'user', content: 'hello' }])
      await expect(store.get('resp_1', 'bob')).rejects.toMatchObject({ status: 404 })
      await expect(store.delete('resp_1', 'bob')).rejects.toMatchObject({ status: 404 })
      await store.delete('resp_1', 'ada')
      await expect(store.get('resp_1', 'ada')).rejects.toMatchObject({ status: 404 })
    })

    it('does not keep a record larger than it keeps', async () => {
      const store = await create()
      await store.put('big', record('ada', 'x'.repeat(store.maxRecordBytes + 1)))
      await expect(store.get('big', 'ada')).rejects.toMatchObject({ status: 404 })
    })
  })

export const describeBackgroundLog = (
  label: string,
  create: () => Promise<{ log: BackgroundLog; other: BackgroundLog }>
) =>
  describe(`the ${label} background log`, () => {
    it('replays after any sequence number, to the end, for its own key only', async () => {
      const { log, other } = await create()
      await log.open('bg_1', 'ada', [delta(0), delta(1)], { status: 'in_progress' })
      await log.append('bg_1', [delta(2)], { status: 'in_progress' }, false)
      expect((await other.read('bg_1', 'ada', 0, 0))?.events.map((e) => e.sequence_number)).toEqual(
        [1, 2]
      )
      expect(await other.read('bg_1', 'bob', -1, 0)).toBeUndefined()
      await log.append('bg_1', [delta(3)], { status: 'completed' }, true)
      expect(await other.read('bg_1', 'ada', 2, 0)).toMatchObject({ done: true })
      // A reader past every event (the largest number there is) gets none.
      expect(await other.read('bg_1', 'ada', Number.MAX_SAFE_INTEGER, 0)).toEqual({
        events: [],
        done: true,
      })
      expect(await other.snapshot('bg_1', 'ada')).toEqual({ status: 'completed' })
      expect(await other.snapshot('bg_1', 'bob')).toBeUndefined()
    })

    it('wakes a waiting reader when events come, and the run when it is asked to stop', async () => {
      const { log, other } = await create()
      await log.open('bg_2', 'ada', [delta(0)], { status: 'in_progress' })
      // Both wait far longer than the test: only a wake-up ends them in time.
      const reading = other.read('bg_2', 'ada', 0, 60_000)
      const watching = log.stopped('bg_2', 60_000)
      await new Promise((resolve) => setTimeout(resolve, 100))
      await log.append('bg_2', [delta(1)], { status: 'in_progress' }, false)
      expect((await reading)?.events.map((e) => e.sequence_number)).toEqual([1])
      expect(await other.stop('bg_2', 'bob')).toBe(false)
      expect(await other.stop('bg_2', 'ada')).toBe(true)
      expect(await watching).toBe(true)
      await log.append('bg_2', [], { status: 'cancelled' }, true)
      expect(await other.stop('bg_2', 'ada')).toBe(false)
    }, 10_000)

    it('refuses a run past the running bound of its key', async () => {
      const { log, other } = await create()
      for (let i = 0; i < 8; i++) await log.open(`bg_n${i}`, 'cy', [], {})
      await expect(other.open('bg_n8', 'cy', [], {})).rejects.toMatchObject({ type: 'queue_full' })
      await log.append('bg_n0', [], {}, true)
      await other.open('bg_n8', 'cy', [], {})
    })
  })
