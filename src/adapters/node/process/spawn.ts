/**
 * One Claude Code child process: spawned in its own process group, read line by line, and
 * stopped as the CLI expects (stdin closed, SIGTERM, then SIGKILL for the whole group). Only its
 * CLI session (session/cli-session.ts) writes to it or stops it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { CliNotFoundError } from '../../../errors/index.js'
import { createLineQueue } from './line-queue.js'

export type ChildExit = { code: number | null; signal: NodeJS.Signals | null }

/** What the runner needs of a process: small, so tests can stand in a fake one. */
export type CliProcess = {
  pid: number | undefined
  /** Writes one line to stdin (a closed pipe is ignored: the process is ending). */
  write(line: string): void
  /** Closes stdin: the CLI exits after the turn it is in. */
  endInput(): void
  /** stdout, one line at a time, with no length limit; read by one loop after another. */
  lines: AsyncIterable<string>
  exited: Promise<ChildExit>
  /** The last few KiB of stderr, for logs only. */
  stderrTail(): string
  /**
   * Closes stdin, sends SIGTERM, and SIGKILL after the grace period; resolves on exit. `now`:
   * SIGKILL at once, so the process does not take one more step (an API call it is about to make).
   */
  terminate(options?: { now?: boolean }): Promise<ChildExit>
}

const STDERR_TAIL_BYTES = 8 * 1024

/** What a sandboxed start adds: descriptors the child gets from 3 on. */
export type LaunchExtras = { fds?: number[] }

export type SpawnCliOptions = LaunchExtras & {
  cwd: string
  env: Record<string, string>
  killGraceMs: number
}

const signalGroup = (pid: number | undefined, signal: NodeJS.Signals) => {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

/** Resolves once the process is running; rejects with `CliNotFoundError` if it cannot start. */
export const spawnCli = async (
  binary: string,
  args: string[],
  options: SpawnCliOptions
): Promise<CliProcess> => {
  const child = spawn(binary, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe', ...(options.fds ?? [])],
    // Its own process group, so tools the CLI starts are stopped with it.
    detached: true,
    // The first three are pipes whatever follows them.
  }) as ChildProcessWithoutNullStreams
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES)
  })
  // A client that disconnects can leave us writing to a closed pipe; that is not a crash.
  child.stdin.on('error', () => {})

  const exited = new Promise<ChildExit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
  })

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new CliNotFoundError(
          error.code === 'ENOENT' || error.code === 'EACCES'
            ? 'The Claude Code CLI is not installed or not executable on the server'
            : 'The Claude Code CLI could not be started',
          { cause: error }
        )
      )
    })
  })

  let terminating: Promise<ChildExit> | undefined
  const terminate = ({ now = false } = {}) => {
    if (now) signalGroup(child.pid, 'SIGKILL')
    terminating ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.destroy()
        signalGroup(child.pid, 'SIGTERM')
        const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs)
        const exit = await exited
        clearTimeout(timer)
        return exit
      }
      return exited
    })().finally(() => signalGroup(child.pid, 'SIGKILL'))
    return terminating
  }

  return {
    pid: child.pid,
    write: (line) => {
      if (child.stdin.writable) child.stdin.write(`${line}\n`)
    },
    endInput: () => child.stdin.end(),
    lines: createLineQueue(child.stdout),
    exited,
    stderrTail: () => stderr,
    terminate,
  }
}
