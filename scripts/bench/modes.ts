/**
 * The same work, side by side against the same mock: direct cold CLI calls, and the server with
 * processes started ahead off, on, and on with reuse after `/clear` (the defaults).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { cliEnv, processesIn } from '../../dev-tools/cli-env.js'
import { resolveClaudeBinary } from '../../src/adapters/node/process/binary.js'
import { startServer } from '../../src/runtime/node/entry.js'
import { directCall } from './direct.js'
import { cpuSeconds, load, percentile, sleep } from './measure.js'

export type ModeResult = {
  name: string
  p50: number
  p90: number
  /** Wall time of 8 and of 32 requests sent at once. */
  wall8: number
  wall32: number
  cpuPerRequest: number
}

/** Sequential requests a second apart (a person's pace), then 8 and 32 at once. */
const measure = async (
  name: string,
  send: (i: number) => Promise<void>,
  dirs: string[]
): Promise<ModeResult> => {
  await send(-1) // warm-up, not measured
  const latencies: number[] = []
  for (let i = 0; i < 10; i++) {
    await sleep(1_000)
    latencies.push((await load(send, 1, 1)).latencies[0] ?? 0)
  }
  await sleep(2_000)
  const cpuBefore = await cpuSeconds(dirs)
  const wall8 = (await load((i) => send(100 + i), 8, 8)).ms
  // Work the batch caused after it (replacements started ahead, resets) is part of its cost.
  await sleep(3_000)
  const cpuPerRequest = ((await cpuSeconds(dirs)) - cpuBefore) / 8
  const wall32 = (await load((i) => send(200 + i), 32, 32)).ms
  await sleep(2_000)
  return {
    name,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    wall8,
    wall32,
    cpuPerRequest,
  }
}

const chat = (url: string) => async (i: number) => {
  const res = await fetch(`${url}/llm/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: `bench ${i}` }),
  })
  const body = await res.json()
  if (res.status !== 200 || body.text !== `ECHO: bench ${i}`) {
    throw new Error(`status ${res.status}: ${JSON.stringify(body).slice(0, 200)}`)
  }
}

export const compareModes = async (home: string, mockUrl: string) => {
  const env = cliEnv(home, mockUrl)
  const binary = resolveClaudeBinary(env)?.path
  if (!binary) throw new Error('the pinned CLI is not installed (npm ci)')
  const results: ModeResult[] = []
  const directDir = join(home, 'direct')
  await mkdir(directDir, { recursive: true })
  results.push(await measure('direct cold CLI call', directCall(binary, env, directDir), []))

  const modes = [
    { name: 'server, every run cold', warmProcesses: 0 },
    { name: 'server, 2 started ahead, no reuse', warmProcesses: 2, reuseProcesses: false },
    { name: 'server, defaults (2 ahead, reuse after /clear)', warmProcesses: 2 },
  ]
  let leftover = 0
  for (const [index, mode] of modes.entries()) {
    const workDir = join(home, `mode-${index}`)
    const server = await startServer({
      port: 0,
      logLevel: 'silent',
      workDir,
      ...mode,
      runnerOptions: { env },
    })
    try {
      results.push(await measure(mode.name, chat(server.url), [workDir]))
    } finally {
      await server.close()
    }
    leftover += (await processesIn(workDir)).length
  }
  return { results, leftover }
}
