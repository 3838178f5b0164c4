/**
 * What the Claude Code benchmarks share: the mock with a scripted model, the server as `serve`
 * starts it (its own CLI talking to the mock), and one `claude -p` run of the client, timed.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { cliEnv } from '../../dev-tools/cli-env.js'
import type { MockHandler } from '../../dev-tools/mock-anthropic/server.js'
import { startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { resolveClaudeBinary } from '../../src/adapters/node/process/binary.js'
import { SERVER_DEFAULTS } from '../../src/adapters/node/settings.js'
import { startServer } from '../../src/runtime/node/entry.js'

/** A person's pause between a session's turns; the CLI's start-up takes ~1 s of it. */
const PAUSE_MS = 1_500

export const startClaudeRig = async (home: string, model: MockHandler) => {
  const binary = resolveClaudeBinary({})?.path
  if (!binary) throw new Error('The Claude Code CLI is not installed (npm ci)')
  const mock = await startMockAnthropic()
  mock.setHandler(model)
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
  return {
    binary,
    mock,
    server,
    close: async () => {
      await server.close()
      await mock.close()
    },
  }
}

/**
 * A person's pause between turns (both ways alike): the server starts the process for the next
 * conversation in it. Back to back, that start-up (~1.3 CPU-s) would run beside the next turn's
 * client on 2 cores, which no person's session sees.
 */
export const pause = async (serverUrl: string) => {
  for (;;) {
    const status = (await (await fetch(`${serverUrl}/llm/status`)).json()) as {
      processes?: { starting?: number; resetting?: number }
    }
    if (!status.processes?.starting && !status.processes?.resetting) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
}

/** One Claude Code run in `cwd` (its home too) at `baseUrl`: its wall time and JSON result. */
export const runClaude = async (binary: string, cwd: string, baseUrl: string, args: string[]) => {
  const env = { ...cliEnv(cwd, undefined), ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: 'bench' }
  const started = performance.now()
  const child = spawn(binary, ['-p', ...args, '--output-format=json'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  await new Promise((resolve) => child.once('close', resolve))
  const result = JSON.parse(out || '{}') as Record<string, unknown>
  return { ms: performance.now() - started, result, out }
}
