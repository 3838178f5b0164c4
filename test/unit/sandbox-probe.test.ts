/** Without a sandbox that drops privilege, runs that need one are refused, and the log says why. */
import { describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createSandbox } from '../../src/adapters/node/process/sandbox-probe.js'
import { PolicyError } from '../../src/errors/index.js'
import { captureLogger } from '../helpers/capture-logger.js'

const limits = { memoryMb: 64, processes: 16, cpuSeconds: 1, fileMb: 1, tmpMb: 1, shmMb: 1 }

const sandboxWith = async (path: string | null) => {
  const dir = await tempDir('sandbox-probe')
  const { logger, lines } = captureLogger()
  const sandbox = createSandbox({
    path,
    workDir: dir,
    limits,
    totalMemoryMb: 256,
    firstUser: { uid: 800_000, gid: 800_000 },
    users: 2,
    logger,
  })
  return { sandbox, lines, done: () => removeDir(dir) }
}

describe('the sandbox probe', () => {
  it('fails closed when bubblewrap cannot make the sandbox, naming what it said', async () => {
    // A "bubblewrap" that refuses, as one does where namespaces cannot be made.
    const { sandbox, lines, done } = await sandboxWith('/bin/false')
    try {
      await sandbox.check()
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'Bash and WebFetch are refused: there is no sandbox',
          reason: expect.stringMatching(/cannot make a sandbox without privilege here: exit 1/),
        })
      )
      const refusal = await sandbox.require().catch((error: unknown) => error)
      expect(refusal).toBeInstanceOf(PolicyError)
      expect(String(refusal)).toMatch(/cannot make \(bubblewrap cannot make a sandbox/)
    } finally {
      await done()
    }
  })

  it('names a missing bubblewrap, and an operator who turned it off', async () => {
    const missing = await sandboxWith('/nonexistent/bwrap')
    await expect(missing.sandbox.require()).rejects.toThrow(/bubblewrap is not installed/)
    await missing.done()
    const off = await sandboxWith(null)
    await expect(off.sandbox.require()).rejects.toThrow(/the operator turned the sandbox off/)
    await off.done()
  })

  it('gives each sandbox at once a host user of its own when the server is root', async () => {
    const { sandbox, done } = await sandboxWith(null)
    try {
      const [a, b, c] = [sandbox.take(), sandbox.take(), sandbox.take()]
      if (process.getuid?.() !== 0) {
        expect(a).toEqual({ kind: 'namespaced' })
        return
      }
      expect(a).toEqual({ kind: 'host', user: { uid: 800_000, gid: 800_000 } })
      expect(b).toEqual({ kind: 'host', user: { uid: 800_001, gid: 800_001 } })
      // Past the range (the runner's slots), the last one is shared rather than run as root.
      expect(c).toEqual(b)
      sandbox.give(a)
      expect(sandbox.take()).toEqual(a)
    } finally {
      await done()
    }
  })
})
