/**
 * The Node runner's lifecycle on the real CLI: a refused tool follow-up leaves the waiting run
 * (and nothing else) behind, `close()` finishes after a run refused on the way in, and a run of a
 * tenant whose process is being retired never waits on it. Each of these hung or leaked before
 * the runner had one owner per CLI process.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cliEnv, processesIn, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { createNodeRunner } from '../../src/adapters/node/runner.js'
import type { RunEvent, RunRequest } from '../../src/contract/runner.js'
import { collectRun } from '../../src/run/result.js'
import { weatherModel, weatherSchema } from '../helpers/tool-mock.js'

let mock: MockAnthropic
let home: string
beforeAll(async () => {
  mock = await startMockAnthropic()
  home = await tempDir('lifecycle')
})
afterAll(async () => {
  await mock?.close()
  await removeDir(home)
})
beforeEach(() => {
  mock.reset()
  mock.setHandler(weatherModel)
})

const runnerIn = (name: string, options: Parameters<typeof createNodeRunner>[0] = {}) =>
  createNodeRunner({
    workDir: `${home}/${name}`,
    env: cliEnv(home, mock.url),
    killGraceMs: 1_000,
    ...options,
  })

const weather: RunRequest = {
  prompt: 'Weather in Paris?',
  owner: 'key-a',
  tools: [{ name: 'get_weather', inputSchema: weatherSchema }],
}

describe('Node runner lifecycle (real CLI)', () => {
  it('a follow-up refused for want of a slot leaves the run waiting; nothing leaks', async () => {
    const runner = runnerIn('refused', { maxConcurrency: 1, maxQueue: 0, toolWaitMs: 60_000 })
    const first = await collectRun(runner.run(weather))
    const call = first.toolCalls?.[0]
    expect(call?.name).toBe('get_weather')
    // A run of another key holds the only slot (the mock never answers it).
    mock.setHandler(() => ({ kind: 'hang' }))
    const holder = runner.run({ prompt: 'hold', owner: 'key-b' })[Symbol.asyncIterator]()
    await holder.next()
    const followUp: RunRequest = {
      prompt: '',
      owner: 'key-a',
      toolResults: [{ toolUseId: call?.id ?? '', content: 'sunny' }],
    }
    await expect(collectRun(runner.run(followUp))).rejects.toMatchObject({ type: 'queue_full' })
    await holder.return?.(undefined)
    // The waiting run was not taken by the refused request: it goes on now.
    mock.setHandler(weatherModel)
    const second = await collectRun(runner.run(followUp))
    expect(second.text).toBe('Weather: sunny')
    await runner.close()
    expect(await processesIn(`${home}/refused`)).toEqual([])
  })

  it('close() finishes after a run whose client had already gone', async () => {
    const runner = runnerIn('closing')
    const controller = new AbortController()
    controller.abort()
    const events: RunEvent[] = []
    await expect(
      (async () => {
        for await (const event of runner.run({ prompt: 'hi' }, { signal: controller.signal })) {
          events.push(event)
        }
      })()
    ).rejects.toMatchObject({ type: 'aborted' })
    await runner.close()
    expect(events).toEqual([])
  })

  it('runs of one tenant go on while its worn-out processes are retired', async () => {
    const runner = runnerIn('retire', { warmProcesses: 1, warmShapes: [], runsPerProcess: 2 })
    for (let i = 0; i < 6; i++) {
      const result = await collectRun(runner.run({ prompt: `run ${i}`, owner: 'key-a' }))
      expect(result.text).toBe(`ECHO: run ${i}`)
    }
    const { capacity, processes } = await runner.status()
    expect(capacity.running).toBe(0)
    expect(processes?.busy).toBe(0)
    await runner.close()
    expect(await processesIn(`${home}/retire`)).toEqual([])
  })

  it('waiting runs beyond their memory budget are stopped, the oldest first', async () => {
    const runner = runnerIn('memory', { maxParkedRssMb: 16, toolWaitMs: 60_000 })
    const first = await collectRun(runner.run(weather))
    const second = await collectRun(runner.run(weather))
    const followUp = (id: string | undefined): RunRequest => ({
      prompt: '',
      owner: 'key-a',
      toolResults: [{ toolUseId: id ?? '', content: 'sunny' }],
    })
    // Each CLI process holds far more than 16 MiB: only the newest may wait.
    await expect.poll(async () => (await runner.status()).processes?.parked).toBe(1)
    await expect(collectRun(runner.run(followUp(first.toolCalls?.[0]?.id)))).rejects.toMatchObject({
      type: 'tool_call_not_pending',
    })
    expect((await collectRun(runner.run(followUp(second.toolCalls?.[0]?.id)))).text).toBe(
      'Weather: sunny'
    )
    await runner.close()
    expect(await processesIn(`${home}/memory`)).toEqual([])
  })
})
