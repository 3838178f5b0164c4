/**
 * Runs leave nothing behind, also on SIGTERM (real CLI, mock API). Every test here failed on
 * the code before its fix.
 */
import { readdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, processesIn, removeDir, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import { createShiftedClock } from '../helpers/fake-clock.js'
import { startCli } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(() => stack?.close())

describe('runs leave nothing behind', () => {
  it("a run removes its directory and the CLI's folder for it", async () => {
    const projects = join(stack.home, '.claude', 'projects')
    stack.mock.reset()
    expect((await stack.post('/llm/chat', { prompt: 'tidy' })).status).toBe(200)
    const left = await readdir(projects).catch(() => [])
    expect(left.filter((name) => name.includes('runs'))).toEqual([])
    expect(await readdir(join(stack.workDir, 'runs'))).toEqual([])
    // Runs that need no directory of their own share one: nothing of the run is left in it, nor
    // in the CLI's folder for it.
    expect(await readdir(join(stack.workDir, 'shared'))).toEqual([])
    const sharedFolders = left.filter((name) => name.endsWith('shared'))
    const kept = await Promise.all(
      sharedFolders.map((name) => readdir(join(projects, name), { recursive: true }))
    )
    expect(kept.flat()).toEqual([])
  })

  it('kept sessions expire, and each key keeps at most its cap (oldest first)', async () => {
    const clock = createShiftedClock()
    const short = await startTestStack({
      sessionTtlMs: 2_000,
      maxSessionsPerKey: 2,
      runnerOptions: { clock },
    })
    const keep = async (prompt: string) =>
      (await (await short.post('/llm/query', { prompt, persist_session: true })).json()).session_id
    const resume = (session_id: string) => short.post('/llm/query', { prompt: 'again', session_id })
    try {
      const first = await keep('one')
      const second = await keep('two')
      const third = await keep('three')
      expect((await resume(first)).status).toBe(404)
      expect((await resume(third)).status).toBe(200)
      const sessions = join(short.workDir, 'sessions')
      expect((await readdir(sessions)).filter((n) => !n.endsWith('.owner')).sort()).toEqual(
        [second, third].sort()
      )
      clock.advance(2_001)
      const expired = await resume(second)
      expect(expired.status).toBe(404)
      expect((await expired.json()).detail).toMatch(/expired/)
      expect(await readdir(sessions)).not.toContain(second)
    } finally {
      await short.close()
    }
  }, 30_000)

  it('a kept session grown past its disk limit is removed at its next resume, links not followed', async () => {
    const small = await startTestStack({ maxSessionMb: 1 })
    const keep = async () =>
      (await (await small.post('/llm/query', { prompt: 'one', persist_session: true })).json())
        .session_id as string
    const resume = (session_id: string) => small.post('/llm/query', { prompt: 'again', session_id })
    try {
      // What a run's Bash could leave: a link to something huge counts as a link, not its target.
      const linked = await keep()
      await symlink('/usr/bin', join(small.workDir, 'sessions', linked, 'big-link'))
      expect((await resume(linked)).status).toBe(200)
      // A file past the limit: the session goes, with a reason.
      const grown = await keep()
      await writeFile(join(small.workDir, 'sessions', grown, 'big'), Buffer.alloc(2 * 1048576))
      const refused = await resume(grown)
      expect(refused.status).toBe(404)
      expect((await refused.json()).detail).toMatch(/grew past 1 MiB/)
      expect(await readdir(join(small.workDir, 'sessions'))).not.toContain(grown)
    } finally {
      await small.close()
    }
  }, 30_000)
})

describe('shutdown on SIGTERM', () => {
  const serve = async (graceMs: number) => {
    const dir = await tempDir('shutdown')
    const server = await startCli(['serve', '--port', '0', '--keys-file', join(dir, 'keys')], {
      ...cliEnv(dir, stack.mock.url),
      CLAUDE_WORK_DIR: join(dir, 'work'),
      SHUTDOWN_GRACE_MS: String(graceMs),
    })
    return { dir, server, work: join(dir, 'work') }
  }

  it('lets a running run finish within the grace period, then exits 0 with nothing left', async () => {
    const { dir, server, work } = await serve(5_000)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'finished in time', delayMs: 1_000 }))
    try {
      const before = stack.mock.messageRequests().length
      const answer = fetch(`${server.url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'slow' }),
      })
      // The run has reached the model (processes started ahead are in the work directory too).
      await waitFor(() => stack.mock.messageRequests().length > before)
      const exited = server.stop()
      const res = await answer
      expect(res.status).toBe(200)
      expect((await res.json()).text).toBe('finished in time')
      expect(await exited).toBe(0)
      expect(await readdir(join(work, 'runs'))).toEqual([])
      expect(await processesIn(dir)).toEqual([])
    } finally {
      await removeDir(dir)
    }
  }, 30_000)

  it('stops runs that outlast the grace period, and still leaves nothing', async () => {
    const { dir, server, work } = await serve(300)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'too late', delayMs: 20_000 }))
    try {
      const before = stack.mock.messageRequests().length
      const answer = fetch(`${server.url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'very slow' }),
      }).then(
        (res) => res.status,
        () => 'connection closed'
      )
      // The run has reached the model (processes started ahead are in the work directory too).
      await waitFor(() => stack.mock.messageRequests().length > before)
      expect(await server.stop()).toBe(0)
      expect([503, 'connection closed']).toContain(await answer)
      expect(await readdir(join(work, 'runs'))).toEqual([])
      const projects = await readdir(join(dir, '.claude', 'projects')).catch(() => [])
      expect(projects.filter((name) => name.includes('runs'))).toEqual([])
      expect(await processesIn(dir)).toEqual([])
    } finally {
      await removeDir(dir)
    }
  }, 30_000)
})
