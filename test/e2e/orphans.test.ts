/**
 * No CLI process outlives its server: not when the server is SIGKILLed mid-run (the kernel's
 * parent-death signal), and not after a crash where that was unavailable (the next runner stops
 * what the last one recorded). Concurrent status calls share one probe of the CLI.
 */
import { spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cliEnv,
  FAKE_CLAUDE,
  FAKE_CLAUDE_ENV,
  isAlive,
  processesIn,
  removeDir,
  tempDir,
  waitFor,
} from '../../dev-tools/cli-env.js'
import { createNodeRunner } from '../../src/adapters/node/runner.js'
import { collectRun } from '../../src/run/result.js'
import { startCli } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(() => stack?.close())

const parentOf = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}
const startTimeOf = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string
}

describe('no CLI process outlives its server', () => {
  it('a server killed with SIGKILL mid-run takes its CLI processes with it', async () => {
    const dir = await tempDir('orphans')
    const work = join(dir, 'work')
    stack.mock.setHandler(() => ({ kind: 'text', text: 'never', delayMs: 30_000 }))
    const server = await startCli(['serve', '--port', '0', '--keys-file', join(dir, 'keys')], {
      ...cliEnv(dir, stack.mock.url),
      CLAUDE_WORK_DIR: work,
    })
    try {
      void fetch(`${server.url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'slow' }),
      }).catch(() => {})
      const [cli] = await waitFor(async () => {
        const found = await processesIn(work)
        return found.length > 0 && found
      })
      const serverPid = await parentOf(cli as number)
      process.kill(serverPid, 'SIGKILL')
      // The kernel's parent-death signal, not a later server: nothing else would stop them.
      await waitFor(async () => (await processesIn(work)).length === 0, { timeoutMs: 10_000 })
    } finally {
      await server.stop()
      await removeDir(dir)
    }
  }, 30_000)

  it('a new runner stops what a crashed one recorded, and nothing else', async () => {
    const dir = await tempDir('reap')
    const sleeper = () => spawn('sleep', ['300'], { detached: true, stdio: 'ignore' })
    const [left, reused, othersLive] = [sleeper(), sleeper(), sleeper()]
    const identity = async (pid: number | undefined) => `${pid} ${await startTimeOf(pid as number)}`
    const gone = '1 0' // an owner that is not running (pid 1 never started at tick 0 here)
    try {
      await mkdir(join(dir, 'pids'), { recursive: true })
      const record = (pid: number | undefined, child: string, owner: string) =>
        writeFile(join(dir, 'pids', String(pid)), `${child}\n${owner}\n`)
      await record(left.pid, await identity(left.pid), gone)
      // The same pid number, but another process: the start time does not match.
      await record(reused.pid, `${reused.pid} 1`, gone)
      // Recorded by a server that is still running (this test process) sharing the directory.
      await record(othersLive.pid, await identity(othersLive.pid), await identity(process.pid))
      const runner = createNodeRunner({ workDir: dir, env: cliEnv(dir, stack.mock.url) })
      await waitFor(() => !isAlive(left.pid as number))
      expect(isAlive(reused.pid as number)).toBe(true)
      expect(isAlive(othersLive.pid as number)).toBe(true)
      await runner.close()
    } finally {
      for (const child of [left, reused, othersLive]) child.kill('SIGKILL')
      await removeDir(dir)
    }
  })
})

describe('runners sharing a work directory', () => {
  it("a runner starting up leaves another live runner's CLI processes alone", async () => {
    const dir = await tempDir('shared')
    const env = cliEnv(dir, stack.mock.url)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'survived', delayMs: 1_500 }))
    const first = createNodeRunner({ workDir: dir, env })
    try {
      const run = collectRun(first.run({ prompt: 'long' }))
      await waitFor(async () => (await processesIn(dir)).length > 0)
      const second = createNodeRunner({ workDir: dir, env })
      await second.status()
      expect((await run).text).toBe('survived')
      await second.close()
    } finally {
      await first.close()
      await removeDir(dir)
    }
  })
})

describe('status', () => {
  it('concurrent /llm/status calls share one probe of the CLI', async () => {
    const dir = await tempDir('probe')
    const log = join(dir, 'invocations')
    const fake = await startTestStack({
      runnerOptions: {
        binary: FAKE_CLAUDE,
        passEnv: FAKE_CLAUDE_ENV,
        env: { ...cliEnv(dir, undefined), FAKE_CLAUDE_LOG: log },
      },
    })
    try {
      const all = await Promise.all(
        Array.from({ length: 8 }, async () => (await fetch(`${fake.url}/llm/status`)).json())
      )
      expect(all.every((s) => s.version === '2.1.330 (Claude Code)')).toBe(true)
      const lines = (await readFile(log, 'utf8')).trim().split('\n')
      expect(lines.sort()).toEqual(['--version', 'auth status'])
    } finally {
      await fake.close()
      await removeDir(dir)
    }
  })
})
