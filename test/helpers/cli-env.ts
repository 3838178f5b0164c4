/** Paths and environments for running the real CLI (and the fake one) in tests. */
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FIXTURES = fileURLToPath(
  new URL('../../../shared/fixtures/claude-cli-2.1.330/', import.meta.url)
)
export const FAKE_CLAUDE = fileURLToPath(new URL('../fixtures/fake-claude.mjs', import.meta.url))

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `cca-${prefix}-`))
export const removeDir = (dir: string) => rm(dir, { recursive: true, force: true })

/**
 * The CLI's environment in tests: nothing of the developer's (no real credentials or proxies),
 * a fresh config dir, the mock as the API, and bounded retries and timeouts.
 */
export const cliEnv = (
  home: string,
  mockUrl: string | undefined,
  extra: Record<string, string> = {}
): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  CLAUDE_CONFIG_DIR: join(home, '.claude'),
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  CLAUDE_CODE_MAX_RETRIES: '0',
  API_TIMEOUT_MS: '5000',
  ...(mockUrl && { ANTHROPIC_BASE_URL: mockUrl, ANTHROPIC_AUTH_TOKEN: 'test-token' }),
  ...extra,
})

/** Pids of live processes whose working directory is inside `dir`. */
export const processesIn = async (dir: string): Promise<number[]> => {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '')
    if (cwd.startsWith(dir)) pids.push(Number(entry))
  }
  return pids
}

export const waitFor = async <T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 50 } = {}
): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
