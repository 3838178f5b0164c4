/**
 * The Node runner's phases with fake CLI processes: every way a run can end leaves no process
 * and no slot behind, whatever the order of events (ready, reset, exit, abort, deadline,
 * shutdown), and the pool never makes a run wait on a process that will not come.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createNodeRunner, type NodeRunner } from '../../src/adapters/node/runner.js'
import type { NodeRunnerOptions } from '../../src/adapters/node/settings.js'
import type { RunEvent, RunRequest } from '../../src/contract/runner.js'
import { createFakeLauncher, type FakeBehaviour } from '../helpers/fake-cli-process.js'

const dirs: string[] = []
const runners: NodeRunner[] = []
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()))
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

const setup = async (options: NodeRunnerOptions = {}, behaviour: FakeBehaviour = {}) => {
  const workDir = await mkdtemp(join(tmpdir(), 'cca-runner-'))
  dirs.push(workDir)
  const fakes = createFakeLauncher(behaviour)
  const runner = createNodeRunner(
    { workDir, binary: process.execPath, env: { HOME: workDir }, sandbox: null, ...options },
    { launch: fakes.launch }
  )
  runners.push(runner)
  return { runner, fakes }
}

const collect = async (iterable: AsyncIterable<RunEvent>) => {
  const events: RunEvent[] = []
  for await (const event of iterable) events.push(event)
  return events
}
const resultOf = (events: RunEvent[]) => events.find((e) => e.type === 'result')
const weatherRun: RunRequest = {
  prompt: 'Weather?',
  owner: 'key-a',
  tools: [{ name: 'get_weather', inputSchema: { type: 'object' } }],
}
const followUp: RunRequest = {
  prompt: '',
  owner: 'key-a',
  toolResults: [{ toolUseId: 'toolu_1', content: 'sunny' }],
}
const settled = async (runner: NodeRunner) => {
  const { processes, capacity } = await runner.status()
  return { busy: processes?.busy, parked: processes?.parked, running: capacity.running }
}

describe('Node runner with fake CLI processes', () => {
  it('a run that ends cleanly leaves its slot and process free (ready, exit)', async () => {
    const { runner, fakes } = await setup()
    const events = await collect(runner.run({ prompt: 'hi' }))
    expect(resultOf(events)).toMatchObject({ result: { text: 'ok' } })
    expect(fakes.alive()).toHaveLength(0)
    expect(await settled(runner)).toEqual({ busy: 0, parked: 0, running: 0 })
  })

  it('an abort mid-run stops its process and frees the slot', async () => {
    const { runner, fakes } = await setup({}, { answerPrompts: false })
    const controller = new AbortController()
    const iterator = runner
      .run({ prompt: 'hi' }, { signal: controller.signal })
      [Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual({ type: 'started' })
    const pending = iterator.next()
    controller.abort()
    await expect(pending).rejects.toMatchObject({ type: 'aborted' })
    expect(fakes.alive()).toHaveLength(0)
    expect(await settled(runner)).toEqual({ busy: 0, parked: 0, running: 0 })
  })

  it('a deadline mid-run stops its process with deadline_exceeded', async () => {
    const { runner, fakes } = await setup({ timeoutMs: 50 }, { answerPrompts: false })
    await expect(collect(runner.run({ prompt: 'hi' }))).rejects.toMatchObject({
      type: 'deadline_exceeded',
    })
    expect(fakes.alive()).toHaveLength(0)
    expect(await settled(runner)).toEqual({ busy: 0, parked: 0, running: 0 })
  })

  it('a process that dies mid-run is a protocol error, and nothing is held', async () => {
    const { runner, fakes } = await setup({}, { answerPrompts: false })
    const iterator = runner.run({ prompt: 'hi' })[Symbol.asyncIterator]()
    await iterator.next()
    const pending = iterator.next()
    fakes.started[0]?.exit(137)
    await expect(pending).rejects.toMatchObject({ type: 'protocol_error' })
    expect(await settled(runner)).toEqual({ busy: 0, parked: 0, running: 0 })
  })

  it('a process that dies as it starts is a protocol error saying so, not a state error', async () => {
    const { runner } = await setup({}, { dieAtStart: true })
    await expect(collect(runner.run({ prompt: 'hi' }))).rejects.toMatchObject({
      type: 'protocol_error',
      message: expect.stringContaining('without a result'),
    })
    expect(await settled(runner)).toEqual({ busy: 0, parked: 0, running: 0 })
  })

  it('shutdown mid-run stops it, and close() finishes with nothing alive', async () => {
    const { runner, fakes } = await setup({}, { answerPrompts: false })
    const iterator = runner.run({ prompt: 'hi' })[Symbol.asyncIterator]()
    await iterator.next()
    // Its refusal is awaited from the start: close() rejects it before close() returns.
    const refused = expect(iterator.next()).rejects.toMatchObject({ type: 'runner_unavailable' })
    await runner.close()
    await refused
    expect(fakes.alive()).toHaveLength(0)
  })

  it('close() finishes after a run refused before it started (an aborted signal)', async () => {
    const { runner } = await setup()
    const controller = new AbortController()
    controller.abort()
    await expect(
      collect(runner.run({ prompt: 'hi' }, { signal: controller.signal }))
    ).rejects.toMatchObject({
      type: 'aborted',
    })
    await runner.close()
  })

  it('a follow-up refused for want of a slot leaves the run waiting, and later continues it', async () => {
    const { runner, fakes } = await setup(
      { maxConcurrency: 1, maxQueue: 0, toolWaitMs: 60_000, heldConversations: 4 },
      { toolCall: { name: 'get_weather', input: { city: 'Paris' } } }
    )
    const first = resultOf(await collect(runner.run(weatherRun)))
    expect(first).toMatchObject({ result: { toolCalls: [{ id: 'toolu_1', name: 'get_weather' }] } })
    // Another run holds the only slot: the follow-up is refused at the door.
    const blocker = runner.run({ prompt: 'busy', owner: 'key-b' })[Symbol.asyncIterator]()
    await blocker.next()
    await expect(collect(runner.run(followUp))).rejects.toMatchObject({ type: 'queue_full' })
    expect(await settled(runner)).toMatchObject({ parked: 1 })
    await blocker.return?.(undefined)
    const second = resultOf(await collect(runner.run(followUp)))
    expect(second).toMatchObject({ result: { text: 'done' } })
    // Its process now holds the conversation for the client's next turn.
    expect((await runner.status()).processes).toMatchObject({ held: 1, parked: 0 })
    expect(fakes.alive()).toHaveLength(1)
  })

  it('a parked run that waits too long is stopped with its process', async () => {
    const { runner, fakes } = await setup(
      { toolWaitMs: 30 },
      { toolCall: { name: 'get_weather', input: {} } }
    )
    await collect(runner.run(weatherRun))
    await expect.poll(() => fakes.alive().length).toBe(0)
    await expect(collect(runner.run(followUp))).rejects.toMatchObject({
      type: 'tool_call_not_pending',
    })
  })

  it('a reused process serves its tenant again after /clear, and only its tenant', async () => {
    const { runner, fakes } = await setup({ warmProcesses: 1, warmShapes: [] })
    await collect(runner.run({ prompt: 'one', owner: 'a' }))
    await expect.poll(async () => (await runner.status()).processes?.warm).toBe(1)
    await collect(runner.run({ prompt: 'two', owner: 'a' }))
    expect(fakes.started).toHaveLength(1)
    await collect(runner.run({ prompt: 'three', owner: 'b' }))
    expect(fakes.started).toHaveLength(2)
  })

  it('a run with client tools, ended by its follow-up, leaves its process to the same key and tools', async () => {
    const { runner, fakes } = await setup(
      { warmProcesses: 1, warmShapes: [], toolWaitMs: 60_000, heldConversations: 4 },
      { toolCall: { name: 'get_weather', input: { city: 'Paris' } } }
    )
    await collect(runner.run(weatherRun))
    expect(resultOf(await collect(runner.run(followUp)))).toMatchObject({
      result: { text: 'done' },
    })
    // It holds the conversation, and a fresh process starts in its place. A new conversation
    // of the same key and tools takes the held one after /clear (sooner than a fresh one
    // answers); the next, with none of its own left, the fresh one; other tools get their own.
    await expect.poll(async () => (await runner.status()).processes?.held).toBe(1)
    await expect.poll(async () => (await runner.status()).processes?.warm).toBe(1)
    await collect(runner.run(weatherRun))
    expect((await runner.status()).processes).toMatchObject({ reused: 1, held: 0, parked: 1 })
    await collect(runner.run(weatherRun))
    expect((await runner.status()).processes).toMatchObject({ used: 1, parked: 2 })
    const otherTools = {
      ...weatherRun,
      tools: [{ name: 'get_time', inputSchema: { type: 'object' } }],
    }
    await collect(runner.run(otherTools))
    expect((await runner.status()).processes).toMatchObject({ reused: 1, parked: 3 })
    expect(fakes.alive()).toHaveLength(3)
  })

  it("a held conversation goes on only for its own key: another key's same history starts anew", async () => {
    const { runner, fakes } = await setup(
      { toolWaitMs: 60_000, heldConversations: 4 },
      { toolCall: { name: 'get_weather', input: { city: 'Paris' } } }
    )
    await collect(runner.run(weatherRun))
    await collect(runner.run(followUp))
    await expect.poll(async () => (await runner.status()).processes?.held).toBe(1)
    const next = (owner: string): RunRequest => ({
      ...weatherRun,
      owner,
      prompt: 'And tomorrow?',
      history: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }],
        },
        { role: 'assistant', content: 'done' },
      ],
    })
    const started = fakes.started.length
    await collect(runner.run(next('key-b')))
    expect((await runner.status()).processes).toMatchObject({ continued: 0 })
    expect(fakes.started.length).toBe(started + 1)
    await collect(runner.run(next('key-a')))
    expect((await runner.status()).processes).toMatchObject({ continued: 1 })
    expect(fakes.started.length).toBe(started + 1)
  })

  it('a run of the tenant never waits on a process whose reset failed', async () => {
    // Worn out after two runs: the second run's process is stopped (slowly) instead of reset;
    // a third run that arrives meanwhile must start another, not wait for this one.
    const { runner, fakes } = await setup(
      { warmProcesses: 1, warmShapes: [], runsPerProcess: 2 },
      { stubborn: true }
    )
    for (const prompt of ['one', 'two', 'three', 'four', 'five']) {
      expect(resultOf(await collect(runner.run({ prompt, owner: 'a' })))).toBeDefined()
    }
    expect(fakes.started.length).toBeGreaterThanOrEqual(3)
    expect(await settled(runner)).toEqual({ busy: 0, parked: 0, running: 0 })
  })

  it('shutdown stops a parked run and a process being reset, and close() finishes', async () => {
    const { runner, fakes } = await setup(
      { warmProcesses: 1, warmShapes: [] },
      { toolCall: { name: 'get_weather', input: {} }, clear: 'never' }
    )
    await collect(runner.run(weatherRun))
    // A plain run of another key: its process is being reset (the /clear is never answered).
    await collect(runner.run({ prompt: 'hi', owner: 'key-b' }))
    await expect.poll(async () => (await runner.status()).processes?.resetting).toBe(1)
    expect(await settled(runner)).toMatchObject({ parked: 1 })
    await runner.close()
    expect(fakes.alive()).toHaveLength(0)
  })

  it('a deadline frees the slot even while the client has stopped reading', async () => {
    const { runner, fakes } = await setup({ timeoutMs: 50 }, { answerPrompts: false })
    const iterator = runner.run({ prompt: 'hi' })[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual({ type: 'started' })
    // The consumer never asks for the next event (a client that stopped reading).
    await expect.poll(async () => (await runner.status()).capacity.running).toBe(0)
    expect(fakes.alive()).toHaveLength(0)
    await expect(iterator.next()).rejects.toMatchObject({ type: 'deadline_exceeded' })
  })

  it('a run stopped while queued gives up its place and takes no slot', async () => {
    const { runner } = await setup({ maxConcurrency: 1 }, { answerPrompts: false })
    const holder = runner.run({ prompt: 'hold' })[Symbol.asyncIterator]()
    await holder.next()
    const queued = runner.run({ prompt: 'wait' })[Symbol.asyncIterator]()
    expect((await queued.next()).value).toEqual({ type: 'queued', position: 1 })
    await queued.return?.(undefined)
    expect((await runner.status()).capacity).toMatchObject({ running: 1, queued: 0 })
    await holder.return?.(undefined)
    expect(await settled(runner)).toEqual({ busy: 0, parked: 0, running: 0 })
  })
})
