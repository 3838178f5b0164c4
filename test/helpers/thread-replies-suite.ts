/**
 * What every store of thread replies keeps to (memory, PostgreSQL): a reply continues only for
 * its key, once, and not while another request continues it, even when two front doors try at
 * the same moment.
 */
import { describe, expect, it } from 'vitest'
import type { ThreadReplies } from '../../src/compat/anthropic/thread-replies.js'

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'claimed',
    (error: { details?: { error_code?: string } }) => error.details?.error_code
  )

export const describeThreadReplies = (
  label: string,
  create: () => Promise<{ one: ThreadReplies; two: ThreadReplies }>
) =>
  describe(`the ${label} thread replies`, () => {
    it('continue a reply once, for its key, one request at a time', async () => {
      const { one, two } = await create()
      await one.remember('msg_1', 'session-1', 'ada')
      expect(await codeOf(two.claim('msg_1', 'bob'))).toBe('thread_not_found')
      expect(await codeOf(two.claim('msg_unknown', 'ada'))).toBe('thread_not_found')
      expect(await two.claim('msg_1', 'ada')).toBe('session-1')
      expect(await codeOf(one.claim('msg_1', 'ada'))).toBe('thread_continue_in_flight')
      await two.settle('msg_1', false)
      expect(await one.claim('msg_1', 'ada')).toBe('session-1')
      await one.settle('msg_1', true)
      expect(await codeOf(two.claim('msg_1', 'ada'))).toBe('thread_already_continued')
    })

    it('let only one of two front doors take a reply at the same moment', async () => {
      const { one, two } = await create()
      await one.remember('msg_2', 'session-2', 'ada')
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, i) => codeOf((i % 2 ? one : two).claim('msg_2', 'ada')))
      )
      expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1)
      expect(outcomes.filter((o) => o === 'thread_continue_in_flight')).toHaveLength(5)
    })
  })
