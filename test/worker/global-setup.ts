/**
 * For the workerd tests, in Node: the mock Messages API and a runner host on 127.0.0.1 driving
 * the real CLI, plus the URL of a host that is down. Their addresses reach the tests through
 * `provide`/`inject` and the worker's bindings.
 */
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { buildWeb } from '../../scripts/build-web.js'
import { hashKey } from '../../src/auth/keys.js'
import { startRunnerHost } from '../../src/runtime/node/server.js'

export const TOKEN = 'runner-token-for-tests'
export const KEY = 'cca_5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e'

/** A loopback URL where nothing listens. */
const deadUrl = async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

export default async function setup(project: TestProject) {
  // The static-assets binding serves dist/web (wrangler.jsonc).
  await buildWeb()
  const mock = await startMockAnthropic()
  const home = await tempDir('worker')
  const host = await startRunnerHost({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    logLevel: 'silent',
    workDir: join(home, 'work'),
    runnerOptions: { env: cliEnv(home, mock.url), killGraceMs: 1_000 },
  })
  project.provide('runnerUrl', host.url)
  project.provide('mockUrl', mock.url)
  project.provide('deadUrl', await deadUrl())
  project.provide('keyHash', await hashKey(KEY))
  return async () => {
    await host.close()
    await mock.close()
    await removeDir(home)
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    runnerUrl: string
    mockUrl: string
    deadUrl: string
    keyHash: string
  }
}
