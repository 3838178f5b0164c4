/**
 * Both soaks' runner hosts: two processes with the real CLI, each against its own mock on
 * 127.0.0.1 answering a few deltas over ~0.6 s (so runs are in flight when something goes), and
 * how to start host `i` again on its port.
 */
import { join } from 'node:path'
import { cliEnv } from '../../dev-tools/cli-env.js'
import { startRunnerProcess } from '../../dev-tools/cli-process.js'
import { type MockRequest, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'

export const SOAK_TOKEN = 'soak-runner-token-long-and-random'

export const startSoakHosts = async (
  home: string,
  watch: { onRequest?(request: MockRequest): void; onEnd?(request: MockRequest): void } = {}
) => {
  const mocks = [await startMockAnthropic(), await startMockAnthropic()]
  for (const mock of mocks) {
    mock.setHandler((request) => {
      watch.onRequest?.(request)
      return { kind: 'text', text: 'one two three four', chunks: 4, intervalMs: 150 }
    })
    if (watch.onEnd) mock.afterEnd(watch.onEnd)
  }
  const hostEnv = (i: number) => ({
    ...cliEnv(join(home, `host-${i}`), mocks[i]?.url),
    CLAUDE_WORK_DIR: join(home, `host-${i}`, 'work'),
  })
  const start = (i: number, port = 0) =>
    startRunnerProcess({ env: hostEnv(i), token: SOAK_TOKEN, port })
  const hosts = [await start(0), await start(1)]
  return { mocks, hosts, start }
}
