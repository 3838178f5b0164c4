/**
 * A front door over two runner hosts on 127.0.0.1, each with the real CLI and its own mock
 * Messages API (so a test sees which host a run reached).
 */
import { join } from 'node:path'
import { inject } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import {
  type RunningServer,
  type ServerOptions,
  startRunnerHost,
  startServer,
} from '../../src/runtime/node/entry.js'

export const FLEET_TOKEN = 'a-long-random-runner-token'

export type Fleet = {
  /** The fleet's own temporary directory (removed by `close`). */
  home: string
  /** What the front door was started with: another started with them is its twin. */
  frontOptions: ServerOptions
  front: RunningServer
  hosts: RunningServer[]
  mocks: MockAnthropic[]
  close(): Promise<void>
}

/** `login` gives each host's CLI environment (its home, its mock's URL). */
export const startFleet = async (
  name: string,
  login: (home: string, mockUrl: string) => Record<string, string>,
  frontOptions: ServerOptions = {}
): Promise<Fleet> => {
  const home = await tempDir(name)
  const mocks: MockAnthropic[] = []
  const hosts: RunningServer[] = []
  for (const i of [0, 1]) {
    const mock = await startMockAnthropic()
    mocks.push(mock)
    const hostHome = join(home, `host-${i}`)
    hosts.push(
      await startRunnerHost({
        port: 0,
        token: FLEET_TOKEN,
        logLevel: 'silent',
        workDir: join(hostHome, 'work'),
        runnerOptions: { env: login(hostHome, mock.url), killGraceMs: 1_000 },
      })
    )
  }
  // The Node front door, as `serve --runner-url … --runner-url …` starts it.
  const options: ServerOptions = {
    port: 0,
    logLevel: 'silent',
    runnerUrls: hosts.map((h) => h.url),
    runnerToken: FLEET_TOKEN,
    usageDb: join(home, 'front-usage.db'),
    webDir: inject('webDir'),
    ...frontOptions,
  }
  const front = await startServer(options)
  return {
    home,
    frontOptions: options,
    front,
    hosts,
    mocks,
    close: async () => {
      await front.close()
      for (const host of hosts) await host.close()
      for (const mock of mocks) await mock.close()
      await removeDir(home)
    },
  }
}
