/**
 * The `claude-code-api` command as a process of its own (from source, with tsx's loader), for
 * long-running commands (`serve`, `runner`): resolves with its URL once it listens, and can be
 * stopped (SIGTERM), killed (SIGKILL) or wedged (SIGSTOP) for real. The soak and the tests that
 * lose a runner host use it; so do the tests of the command itself.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export type CliProcess = {
  url: string
  port: number
  pid: number
  child: ChildProcess
  /** Settles with the exit code (or the signal) once the process is gone. */
  exited: Promise<number | string>
  kill(signal?: NodeJS.Signals): Promise<number | string>
}

export const startCliProcess = async (
  args: string[],
  env: Record<string, string> = {}
): Promise<CliProcess> => {
  // Node itself with tsx's loader, not the tsx binary: that one relays signals to a child of
  // its own, and a SIGTERM that arrives before the child has told it of its handlers kills it
  // (exit 143), a race with nothing to do with the server's shutdown.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/index.ts'), ...args],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        // The "listening" line (with the URL) is an info log.
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }
  )
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'gone'))
  )
  let stderr = ''
  let timer: ReturnType<typeof setTimeout> | undefined
  const url = await new Promise<string>((resolve, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no "listening" line within 30 s:\n${stderr}`))
    }, 30_000)
    child.stderr?.on('data', (chunk) => {
      // Only the start is kept: a long-running host logs every request.
      if (stderr.length < 64 * 1024) stderr += chunk
      const match = /"url":"(http:\/\/[^"]+)"/.exec(stderr)
      if (match?.[1]) resolve(match[1])
    })
    void exited.then((code) => reject(new Error(`exited (${code}) before listening:\n${stderr}`)))
  }).finally(() => clearTimeout(timer))
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid as number,
    child,
    exited,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/**
 * `claude-code-api runner` with `env` (the CLI's login, its work dir) on `port` (0: any); SIGTERM
 * gives its runs `graceMs` to finish.
 */
export const startRunnerProcess = ({
  env,
  token,
  port = 0,
  graceMs = 10_000,
}: {
  env: Record<string, string>
  token: string
  port?: number
  graceMs?: number
}) =>
  startCliProcess(['runner', '--port', String(port)], {
    ...env,
    RUNNER_TOKEN: token,
    SHUTDOWN_GRACE_MS: String(graceMs),
  })
