/**
 * Claude Code as a client, side by side: the same prompt with three tool round trips (its own
 * Bash, run on its side), straight at the mock and through the server (whose own CLI then talks
 * to the mock, the run waiting for each result). Sequential runs; p50 of each.
 */
import { spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { cliEnv } from '../../dev-tools/cli-env.js'
import type { MockHandler } from '../../dev-tools/mock-anthropic/server.js'
import { startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { resolveClaudeBinary } from '../../src/adapters/node/process/binary.js'
import { SERVER_DEFAULTS } from '../../src/adapters/node/settings.js'
import { startServer } from '../../src/runtime/node/entry.js'
import { percentile } from './measure.js'

const ROUND_TRIPS = 3

/** Calls Bash (as the client's tool, under whichever name it reaches the model) three times. */
const threeRoundTrips: MockHandler = (request) => {
  const bash = (request.body.tools ?? []).find(
    (t) => t.name === 'Bash' || t.name === 'mcp__client__Bash'
  )
  const done = JSON.stringify(request.body.messages ?? []).split('"tool_result"').length - 1
  if (!bash || done >= ROUND_TRIPS) return { kind: 'text', text: `done after ${done}` }
  return {
    kind: 'tool',
    name: bash.name,
    input: { command: `echo step-${done + 1}`, description: 'One step' },
  }
}

/** One Claude Code run at `baseUrl` in its own empty home: its wall time. */
const claudeRun = async (binary: string, home: string, baseUrl: string) => {
  const env = {
    ...cliEnv(home, undefined),
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'bench',
  }
  const args = [
    '-p',
    'Run three steps',
    '--output-format=json',
    '--model=haiku',
    '--allowedTools=Bash(echo:*)',
  ]
  const started = performance.now()
  const child = spawn(binary, args, { cwd: home, env, stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  await new Promise((resolve) => child.once('close', resolve))
  const result = JSON.parse(out || '{}')
  if (result.result !== `done after ${ROUND_TRIPS}`) {
    throw new Error(`Claude Code as a client failed: ${out.slice(0, 300)}`)
  }
  return performance.now() - started
}

export type ClientResult = { direct: number; server: number; runs: number }

export const claudeCodeAsClient = async (home: string, runs = 7): Promise<ClientResult> => {
  const binary = resolveClaudeBinary({})?.path
  if (!binary) throw new Error('The Claude Code CLI is not installed (npm ci)')
  const mock = await startMockAnthropic()
  mock.setHandler(threeRoundTrips)
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    workDir: join(home, 'work'),
    keysFile: join(home, 'keys'),
    // The server's defaults, as `serve` starts it.
    ...SERVER_DEFAULTS,
    runnerOptions: { env: cliEnv(home, mock.url) },
  })
  const clientHome = join(home, 'client')
  await mkdir(clientHome, { recursive: true })
  try {
    const direct: number[] = []
    const through: number[] = []
    // Warm-up of both (the binary's first start reads it from disk), then alternating pairs.
    await claudeRun(binary, clientHome, mock.url)
    await claudeRun(binary, clientHome, server.url)
    for (let i = 0; i < runs; i++) {
      direct.push(await claudeRun(binary, clientHome, mock.url))
      through.push(await claudeRun(binary, clientHome, server.url))
    }
    return { direct: percentile(direct, 50), server: percentile(through, 50), runs }
  } finally {
    await server.close()
    await mock.close()
  }
}
