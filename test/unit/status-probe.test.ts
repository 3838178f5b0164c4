/**
 * The CLI status probe (`claude --version`, `claude auth status`) ends with the runner: a probe
 * still running when the server closes would write into a config dir its owner is removing.
 * A fake CLI that never answers stands in for a slow one.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { isAlive } from '../../dev-tools/cli-env.js'
import { createNodeRunner } from '../../src/adapters/node/runner.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

it('stops a status probe in flight when the runner closes, and waits for it to exit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cca-probe-'))
  dirs.push(dir)
  const binary = join(dir, 'claude')
  // Each invocation notes its pid, then hangs well past the test.
  await writeFile(binary, `#!/bin/sh\necho $$ >> "${dir}/pids"\nexec sleep 60\n`)
  await chmod(binary, 0o755)
  const runner = createNodeRunner({ workDir: dir, binary, env: { HOME: dir }, sandbox: null })

  const status = runner.status()
  const pids = async () =>
    (await readFile(join(dir, 'pids'), 'utf8').catch(() => '')).split('\n').filter(Boolean)
  await expect.poll(pids).toHaveLength(2)
  await runner.close()

  for (const pid of await pids()) expect(isAlive(Number(pid))).toBe(false)
  expect((await status).version).toBeNull()
})
