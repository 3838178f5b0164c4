import { describe, expect, it } from 'vitest'
import { QueueFullError } from '../../src/errors.js'
import { createCapacity } from '../../src/run/capacity.js'

describe('capacity', () => {
  it('grants slots up to the cap, then queues in FIFO order', async () => {
    const capacity = createCapacity({ maxConcurrency: 1, maxQueue: 2 })
    const first = capacity.admit()
    expect(first.queued).toBe(false)
    const second = capacity.admit()
    const third = capacity.admit()
    if (!second.queued || !third.queued || first.queued) throw new Error('expected queueing')
    expect([second.position, third.position]).toEqual([1, 2])
    expect(capacity.status()).toEqual({ max_concurrency: 1, running: 1, queued: 2, max_queue: 2 })

    const order: string[] = []
    void second.ready.then(() => order.push('second'))
    void third.ready.then(() => order.push('third'))
    first.release()
    await new Promise((r) => setTimeout(r, 0))
    expect(order).toEqual(['second'])
    ;(await second.ready)()
    await new Promise((r) => setTimeout(r, 0))
    expect(order).toEqual(['second', 'third'])
    ;(await third.ready)()
    expect(capacity.status()).toMatchObject({ running: 0, queued: 0 })
  })

  it('rejects beyond the queue with a Retry-After', () => {
    const capacity = createCapacity({ maxConcurrency: 1, maxQueue: 0 })
    capacity.admit()
    let error: unknown
    try {
      capacity.admit()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(QueueFullError)
    expect((error as QueueFullError).retryAfter).toBeGreaterThanOrEqual(1)
  })

  it('frees the place of a waiter whose signal aborts', async () => {
    const capacity = createCapacity({ maxConcurrency: 1, maxQueue: 1 })
    const first = capacity.admit()
    const controller = new AbortController()
    const waiting = capacity.admit(controller.signal)
    if (!waiting.queued || first.queued) throw new Error('expected queueing')
    controller.abort(new Error('gone'))
    await expect(waiting.ready).rejects.toThrow('gone')
    expect(capacity.status().queued).toBe(0)
    // The freed place can be taken again, and releasing the slot does not go to the dead waiter.
    const next = capacity.admit()
    expect(next.queued).toBe(true)
    first.release()
    if (next.queued) (await next.ready)()
    expect(capacity.status()).toMatchObject({ running: 0, queued: 0 })
  })

  it('ignores a double release', () => {
    const capacity = createCapacity({ maxConcurrency: 2, maxQueue: 0 })
    const a = capacity.admit()
    if (a.queued) throw new Error('unexpected')
    a.release()
    a.release()
    expect(capacity.status().running).toBe(0)
  })
})

describe('a run stopped while queued', () => {
  it('gives its place back, and the slot it might have been granted', async () => {
    const { createNodeRunner } = await import('../../src/adapters/node/runner.js')
    const { FAKE_CLAUDE } = await import('../helpers/cli-env.js')
    const runner = createNodeRunner({
      binary: FAKE_CLAUDE,
      env: { PATH: process.env.PATH ?? '', FAKE_CLAUDE_MODE: 'ignore-sigterm' },
      maxConcurrency: 1,
      maxQueue: 1,
      killGraceMs: 200,
    })
    const first = runner.run({ prompt: 'holds the slot' })[Symbol.asyncIterator]()
    expect((await first.next()).value).toEqual({ type: 'started' })
    for await (const event of runner.run({ prompt: 'waits' })) {
      expect(event).toEqual({ type: 'queued', position: 1 })
      break
    }
    expect((await runner.status()).capacity).toMatchObject({ running: 1, queued: 0 })
    await first.return?.(undefined)
    expect((await runner.status()).capacity).toMatchObject({ running: 0, queued: 0 })
  })
})
