import { describe, expect, it } from 'vitest'
import { QueueFullError } from '../../src/errors/index.js'
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

  it("keeps a named caller within its share, so another caller's run finds a slot", async () => {
    const capacity = createCapacity({ maxConcurrency: 4, maxQueue: 8, maxPerCaller: 3 })
    const a = [1, 2, 3, 4].map(() => capacity.admit(undefined, 'key-a'))
    expect(a.map((admission) => admission.queued)).toEqual([false, false, false, true])
    // Key B is served at once, from the slot key A may not take.
    const b = capacity.admit(undefined, 'key-b')
    expect(b.queued).toBe(false)
    // A waits for its own runs: B's slot going free is not enough.
    if (!b.queued) b.release()
    expect(capacity.status()).toMatchObject({ running: 3, queued: 1 })
    const first = a[0]
    if (first && !first.queued) first.release()
    const fourth = a[3]
    if (!fourth?.queued) throw new Error('expected queueing')
    await fourth.ready
    expect(capacity.status()).toMatchObject({ running: 3, queued: 0 })
    // Callers without a name (a server without keys) may use every slot.
    const open = createCapacity({ maxConcurrency: 2, maxQueue: 0, maxPerCaller: 1 })
    expect([open.admit(), open.admit()].map((admission) => admission.queued)).toEqual([
      false,
      false,
    ])
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
    const { FAKE_CLAUDE } = await import('../../dev-tools/cli-env.js')
    const runner = createNodeRunner({
      binary: FAKE_CLAUDE,
      env: { PATH: process.env.PATH ?? '', FAKE_CLAUDE_MODE: 'ignore-sigterm' },
      passEnv: ['FAKE_CLAUDE_MODE'],
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

describe('capacity shared between keys', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

  it('a key that filled the queue gives its newest place to another key', async () => {
    const capacity = createCapacity({ maxConcurrency: 1, maxQueue: 2 })
    const running = capacity.admit(undefined, 'a')
    const a1 = capacity.admit(undefined, 'a')
    const a2 = capacity.admit(undefined, 'a')
    if (running.queued || !a1.queued || !a2.queued) throw new Error('expected queueing')
    const a2Outcome = a2.ready.then(
      () => 'granted',
      (error: unknown) => (error instanceof QueueFullError ? 'refused' : 'other')
    )
    // The queue is full, yet b gets a place: a's newest run is refused instead.
    const b1 = capacity.admit(undefined, 'b')
    expect(b1.queued).toBe(true)
    expect(await a2Outcome).toBe('refused')
    // Now each holds one place: a newcomer to a full queue is refused.
    expect(() => capacity.admit(undefined, 'b')).toThrow(QueueFullError)
    expect(() => capacity.admit(undefined, 'a')).toThrow(QueueFullError)
    expect(capacity.status()).toMatchObject({ running: 1, queued: 2 })
  })

  it('freed slots go to the keys in turn, not in arrival order', async () => {
    const capacity = createCapacity({ maxConcurrency: 1, maxQueue: 10 })
    const first = capacity.admit(undefined, 'a')
    if (first.queued) throw new Error('expected a slot')
    const order: string[] = []
    const releases = new Map<string, () => void>()
    const wait = (caller: string, label: string) => {
      const admission = capacity.admit(undefined, caller)
      if (!admission.queued) throw new Error('expected queueing')
      void admission.ready.then((release) => {
        order.push(label)
        releases.set(label, release)
      })
    }
    for (const [caller, label] of [
      ['a', 'a1'],
      ['a', 'a2'],
      ['a', 'a3'],
      ['b', 'b1'],
      ['b', 'b2'],
    ]) {
      wait(caller as string, label as string)
    }
    first.release()
    for (let i = 0; i < 5; i++) {
      await tick()
      releases.get(order.at(-1) as string)?.()
    }
    expect(order).toEqual(['b1', 'a1', 'b2', 'a2', 'a3'])
  })
})
