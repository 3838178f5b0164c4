/** Paths and environments for running the real CLI (and the fake one) in tests. */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const pinned = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  .dependencies['@anthropic-ai/claude-code'] as string
/**
 * The CLI the tests run: CLAUDE_BIN's under `npm run canary`, otherwise the pinned package's.
 * `version` starts its `--version` line (`2.1.330 (Claude Code)`).
 */
export const TESTED_CLI = process.env.CLAUDE_BIN
  ? {
      source: 'env' as const,
      version: execFileSync(process.env.CLAUDE_BIN, ['--version'], { encoding: 'utf8' }).split(
        ' '
      )[0] as string,
    }
  : { source: 'package' as const, version: pinned }
/** Matches the start of the pinned CLI's version line. */
export const PINNED_VERSION = new RegExp(`^${pinned.replaceAll('.', '\\.')} `)
/** An environment without CLAUDE_BIN: the pinned CLI, whatever the test run uses. */
export const withoutCliBin = ({ CLAUDE_BIN: _, ...env }: Record<string, string>) => env
/** Matches the start of the tested CLI's version line. */
export const TESTED_VERSION = new RegExp(`^${TESTED_CLI.version.replaceAll('.', '\\.')} `)

const FIXTURE_ROOT = fileURLToPath(new URL('../test/fixtures/', import.meta.url))
/** The CLI versions with recorded outputs (`npm run fixtures` adds the pinned one's), oldest first. */
export const FIXTURE_VERSIONS = readdirSync(FIXTURE_ROOT)
  .flatMap((name) => /^claude-cli-(\d+\.\d+\.\d+)$/.exec(name)?.[1] ?? [])
  .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
export const fixturesOf = (version: string) => join(FIXTURE_ROOT, `claude-cli-${version}`)
/** The recordings of the newest version, for the fake CLI to replay. */
export const FIXTURES = fixturesOf(FIXTURE_VERSIONS.at(-1) ?? '2.1.330')
export const FAKE_CLAUDE = fileURLToPath(
  new URL('../test/fixtures/fake-claude.mjs', import.meta.url)
)
/** The fake CLI's settings: a runner passes them on by name (the CLI's environment is an allow-list). */
export const FAKE_CLAUDE_ENV = [
  'FAKE_CLAUDE_MODE',
  'FAKE_CLAUDE_CHUNKS',
  'FAKE_CLAUDE_EXIT',
  'FAKE_CLAUDE_FIXTURE',
  'FAKE_CLAUDE_INTERVAL_MS',
  'FAKE_CLAUDE_LOG',
  'FAKE_CLAUDE_STDERR',
]

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
  // Another CLI than the pinned one (`npm run canary` runs the suites on the newest).
  ...(process.env.CLAUDE_BIN && { CLAUDE_BIN: process.env.CLAUDE_BIN }),
  ...extra,
})

/**
 * The same, logged in as a subscription (a Claude Code OAuth token, as `claude setup-token` makes):
 * the login that reports its quota (`rate_limit_event`); an auth token or API key reports none.
 */
export const subscriptionEnv = (home: string, mockUrl: string) => {
  const { ANTHROPIC_AUTH_TOKEN: _, ...env } = cliEnv(home, mockUrl)
  return { ...env, CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test-token' }
}

/** State and parent pid from /proc/<pid>/stat (the fields after the parenthesised name). */
const procStat = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { state, ppid: Number(ppid) }
}

/**
 * Pids of live processes whose working directory is inside `dir`: the CLI and anything it
 * started (it runs `git`, for one). `parent` keeps only that process's direct children.
 */
export const processesIn = async (dir: string, parent?: number): Promise<number[]> => {
  const found: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '')
    if (cwd.startsWith(dir)) found.push(Number(entry))
  }
  // A scan is not atomic: drop the processes that ended while it ran (Z: zombie, already dead).
  const stats = await Promise.all(found.map(procStat))
  return found.filter((_, i) => {
    const { state, ppid } = stats[i] ?? { state: '', ppid: 0 }
    return state !== '' && state !== 'Z' && (parent === undefined || ppid === parent)
  })
}

/** Whether a process with this pid is still there. */
export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
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

/** Waits until no process runs in `dir` (the CLI and what it started); fails after the timeout. */
export const allProcessesGone = (dir: string, timeoutMs = 5_000) =>
  waitFor(async () => (await processesIn(dir)).length === 0, { timeoutMs })
