/**
 * The other way to give a run its login: a process started ahead with `--await-claim`, claimed
 * at run time with the login's token (`claim_session`, the Agent SDK's prewarm/claim; claude-cli.md
 * §5.10). Measured from the claim to the run's result, each process started and initialized a
 * second before (as a spare waits), so it compares with a per-login process the server keeps.
 */
import { spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { cliEnv } from '../../dev-tools/cli-env.js'
import { resolveClaudeBinary } from '../../src/adapters/node/process/binary.js'
import { percentile, sleep } from './measure.js'

const RUNS = 6

/** One spare: started, initialized, parked a second, then claimed and asked once. */
const claimOnce = async (binary: string, env: Record<string, string>, cwd: string, i: number) => {
  const child = spawn(
    binary,
    ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose'].concat([
      '--await-claim',
      '--model',
      'haiku',
    ]),
    { cwd, env, stdio: ['pipe', 'pipe', 'ignore'] }
  )
  const waiters: Array<(line: Record<string, unknown>) => boolean> = []
  let buffer = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk
    for (let at = buffer.indexOf('\n'); at >= 0; at = buffer.indexOf('\n')) {
      const line = JSON.parse(buffer.slice(0, at)) as Record<string, unknown>
      buffer = buffer.slice(at + 1)
      for (const [n, waiter] of waiters.entries()) if (waiter(line)) waiters.splice(n, 1)
    }
  })
  const next = (match: (line: Record<string, unknown>) => boolean) =>
    new Promise<void>((resolve) =>
      waiters.push((line) => {
        if (!match(line)) return false
        resolve()
        return true
      })
    )
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`)
  try {
    const initialized = next((l) => l.type === 'control_response')
    send({ type: 'control_request', request_id: 'init', request: { subtype: 'initialize' } })
    await initialized
    await sleep(1_000)
    const done = next((l) => l.type === 'result')
    const started = performance.now()
    send({
      type: 'control_request',
      request_id: 'claim',
      request: {
        subtype: 'claim_session',
        cwd,
        env: { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-bench-claimed-login' },
      },
    })
    send({
      type: 'user',
      message: { role: 'user', content: `bench ${i}` },
      parent_tool_use_id: null,
      session_id: '',
    })
    await done
    return performance.now() - started
  } finally {
    child.kill('SIGKILL')
  }
}

export const claimedLatency = async (home: string, mockUrl: string) => {
  // The login comes with the claim: the spare starts with no credential of its own.
  const { ANTHROPIC_AUTH_TOKEN: _, ...env } = cliEnv(home, mockUrl)
  const binary = resolveClaudeBinary(env)?.path
  if (!binary) throw new Error('the pinned CLI is not installed (npm ci)')
  const times: number[] = []
  for (let i = -1; i < RUNS; i++) {
    const cwd = join(home, `claim-${i + 1}`)
    await mkdir(cwd, { recursive: true })
    const ms = await claimOnce(binary, env, cwd, i)
    if (i >= 0) times.push(ms)
  }
  return { p50: percentile(times, 50), runs: RUNS }
}
