/** The real server on 127.0.0.1:0 driving the real CLI against the project's mock Messages API. */
import { join } from 'node:path'
import { inject } from 'vitest'
import { cliEnv, removeDir, subscriptionEnv, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import type { NodeRunnerOptions } from '../../src/adapters/node/runner.js'
import {
  type RunningServer,
  type ServerOptions,
  startServer,
} from '../../src/runtime/node/entry.js'

export type TestStack = {
  url: string
  mock: MockAnthropic
  workDir: string
  home: string
  server: RunningServer
  post(path: string, body: unknown, init?: RequestInit): Promise<Response>
  close(): Promise<void>
}

export const startTestStack = async (
  options: Omit<ServerOptions, 'runnerOptions'> & {
    runnerOptions?: NodeRunnerOptions
    cliEnv?: Record<string, string>
    /** Leave the API base URL and credentials out (a "not logged in" CLI). */
    noCredentials?: boolean
    /** Log in as a subscription, which reports its quota (see `subscriptionEnv`). */
    subscription?: boolean
  } = {}
): Promise<TestStack> => {
  const mock = await startMockAnthropic()
  const home = await tempDir('home')
  const workDir = join(home, 'work')
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    workDir,
    keysFile: join(home, 'api-keys'),
    webDir: inject('webDir'),
    ...options,
    runnerOptions: {
      env: options.subscription
        ? { ...subscriptionEnv(home, mock.url), ...options.cliEnv }
        : cliEnv(home, options.noCredentials ? undefined : mock.url, options.cliEnv),
      killGraceMs: 1_000,
      ...options.runnerOptions,
    },
  })
  return {
    url: server.url,
    mock,
    workDir,
    home,
    server,
    post: (path, body, init = {}) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...init,
      }),
    close: async () => {
      await server.close()
      await mock.close()
      await removeDir(home)
    },
  }
}
