/**
 * Claude Code as a client, side by side: the same prompt with three tool round trips (its own
 * Bash, run on its side), straight at the mock and through the server (whose own CLI then talks
 * to the mock, the run waiting for each result). Sequential runs; p50 of each.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { MockHandler } from '../../dev-tools/mock-anthropic/server.js'
import { pause, runClaude, startClaudeRig } from './claude-rig.js'
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
const claudeRun = async (binary: string, home: string, baseUrl: string, serverUrl: string) => {
  await pause(serverUrl)
  const args = ['Run three steps', '--model=haiku', '--allowedTools=Bash(echo:*)']
  const { ms, result, out } = await runClaude(binary, home, baseUrl, args)
  if (result.result !== `done after ${ROUND_TRIPS}`) {
    throw new Error(`Claude Code as a client failed: ${out.slice(0, 300)}`)
  }
  return ms
}

export type ClientResult = { direct: number; server: number; runs: number }

export const claudeCodeAsClient = async (home: string, runs = 7): Promise<ClientResult> => {
  const { binary, mock, server, close } = await startClaudeRig(home, threeRoundTrips)
  const clientHome = join(home, 'client')
  await mkdir(clientHome, { recursive: true })
  try {
    const direct: number[] = []
    const through: number[] = []
    // Warm-up of both (the binary's first start reads it from disk), then alternating pairs.
    await claudeRun(binary, clientHome, mock.url, server.url)
    await claudeRun(binary, clientHome, server.url, server.url)
    for (let i = 0; i < runs; i++) {
      direct.push(await claudeRun(binary, clientHome, mock.url, server.url))
      through.push(await claudeRun(binary, clientHome, server.url, server.url))
    }
    return { direct: percentile(direct, 50), server: percentile(through, 50), runs }
  } finally {
    await close()
  }
}
