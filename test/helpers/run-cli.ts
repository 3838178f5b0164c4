/** Runs the `claude-code-api` command (from source, via tsx) as a real child process. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startCliProcess } from '../../dev-tools/cli-process.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TSX = `${ROOT}node_modules/.bin/tsx`

export type CliRun = { code: number | null; stdout: string; stderr: string }

/** Runs a command to its end: its exit code and output; killed (and rejected) after the timeout. */
export const runCommand = (
  command: string,
  args: string[],
  {
    env = process.env,
    input,
    timeoutMs = 30_000,
    cwd = ROOT,
  }: {
    env?: NodeJS.ProcessEnv
    input?: string
    timeoutMs?: number
    cwd?: string
  } = {}
): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`
        )
      )
    }, timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    // A command that exits (or closes its stdin) before reading it: the write fails with EPIPE,
    // which says nothing of the run; its exit code and output do.
    child.stdin.on('error', () => {})
    child.stdin.end(input ?? '')
  })

/** A TypeScript file of this repository, run with tsx and only PATH and HOME from outside. */
export const runTs = (
  script: string,
  args: string[],
  options: Omit<NonNullable<Parameters<typeof runCommand>[2]>, 'env'> & {
    env?: Record<string, string>
  } = {}
) =>
  runCommand(TSX, [`${ROOT}${script}`, ...args], {
    ...options,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
  })

export const runCli = (args: string[], options?: Parameters<typeof runTs>[2]) =>
  runTs('src/cli/index.ts', args, options)

/** Starts a long-running command (serve, runner); resolves with its URL once it listens. */
export const startCli = async (args: string[], env: Record<string, string> = {}) => {
  const started = await startCliProcess(args, env)
  return {
    url: started.url,
    pid: started.pid,
    stop: () => started.kill('SIGTERM'),
  }
}
