/**
 * No CLI process outlives the server that started it. On Linux each one is started through
 * `setpriv --pdeathsig SIGKILL` (util-linux), so the kernel kills it when the server dies, even
 * by SIGKILL; where that is unavailable, what a crashed server left is stopped by the next one:
 * every process is recorded (pid and kernel start time, so a reused pid is never hit) in
 * `<workDir>/pids/` until it exits, and a new runner stops the process groups recorded there.
 */
import { accessSync, constants } from 'node:fs'
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CliNotFoundError } from '../../../errors/index.js'
import type { Logger } from '../../../lib/logger.js'
import { processEnv } from './child-env.js'
import { type CliProcess, type LaunchExtras, spawnCli } from './spawn.js'

const SETPRIV = '/usr/bin/setpriv'

/** The command prefix that ties a child's life to this process (empty where there is none). */
export const parentDeathPrefix = (): string[] => {
  if (process.platform !== 'linux') return []
  try {
    accessSync(SETPRIV, constants.X_OK)
    return [SETPRIV, '--pdeathsig', 'SIGKILL', '--']
  } catch {
    return []
  }
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
const startTime = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? ''
}

/** `pid start-time`: a process, told apart from any later one that gets the same pid. */
const identity = async (pid: number) => `${pid} ${await startTime(pid)}`

const isAlive = async (recorded: string) => {
  const [pid] = recorded.split(' ')
  return Boolean(pid) && (await identity(Number(pid))) === recorded
}

export const createProcessLedger = (workDir: string) => {
  const dir = join(workDir, 'pids')
  const owner = identity(process.pid)
  return {
    /** Records the child with its owner (this process): only an owner's death makes it stray. */
    async record(pid: number | undefined) {
      if (pid === undefined) return
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const line = `${await identity(pid)}\n${await owner}\n`
      await writeFile(join(dir, String(pid)), line, { mode: 0o600 })
    },
    async forget(pid: number | undefined) {
      if (pid !== undefined) await rm(join(dir, String(pid)), { force: true })
    },
    /**
     * Stops the process groups that a server which is gone recorded and did not see exit.
     * Another server sharing the work directory, still running, keeps its own.
     */
    async reap() {
      const names = await readdir(dir).catch(() => [] as string[])
      let stopped = 0
      for (const name of names.filter((n) => /^\d+$/.test(n))) {
        const pid = Number(name)
        const [child = '', parent = ''] = (await readFile(join(dir, name), 'utf8').catch(() => ''))
          .trim()
          .split('\n')
        if (await isAlive(parent)) continue
        if (await isAlive(child)) {
          try {
            process.kill(-pid, 'SIGKILL')
            stopped++
          } catch {
            // Gone between the check and the signal.
          }
        }
        await rm(join(dir, name), { force: true })
      }
      return stopped
    },
  }
}

export type LauncherOptions = {
  workDir: string
  env: Record<string, string>
  killGraceMs: number
  logger: Logger
}

/**
 * Starts CLI processes tied to this process's life and recorded until they exit; the first one
 * waits until what a previous server left behind has been stopped.
 */
export const createLauncher = ({ workDir, env, killGraceMs, logger }: LauncherOptions) => {
  const ledger = createProcessLedger(workDir)
  const reaped = ledger.reap().then(
    (count) => {
      if (count) logger.warn('stopped CLI processes a previous server left running', { count })
    },
    () => {}
  )
  const prefix = parentDeathPrefix()
  /**
   * `command` ends with the CLI binary (after a sandbox's own command, if any); `extraEnv` is
   * the run's own settings that the CLI reads from its environment only; `extras` what a
   * sandbox's start needs (its descriptors).
   */
  return async (
    command: string[],
    args: string[],
    cwd: string,
    extraEnv: Record<string, string> = {},
    extras: LaunchExtras = {}
  ): Promise<CliProcess> => {
    await reaped
    // Checked here: behind setpriv, a missing binary would fail after the spawn, not at it.
    await access(command.at(-1) as string, constants.X_OK).catch((error: unknown) => {
      throw new CliNotFoundError(
        'The Claude Code CLI is not installed or not executable on the server',
        { cause: error }
      )
    })
    const [file, ...rest] = [...prefix, ...command]
    const proc = await spawnCli(file as string, [...rest, ...args], {
      cwd,
      env: processEnv(env, extraEnv),
      killGraceMs,
      ...extras,
    })
    const pid = proc.pid
    await ledger.record(pid)
    void proc.exited.then(() => ledger.forget(pid))
    return proc
  }
}
