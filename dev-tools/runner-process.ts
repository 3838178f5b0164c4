/**
 * A runner host as its own process (`claude-code-api runner`, from source with tsx's loader), so
 * a test or the soak can kill it for real (SIGKILL), wedge it (SIGSTOP), stop it (SIGTERM: it
 * drains) and start it again on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export type RunnerProcess = {
  url: string
  port: number
  child: ChildProcess
  /** Settles with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>
  kill(signal?: NodeJS.Signals): Promise<number | string>
}

/**
 * Starts `claude-code-api runner` with `env` (the CLI's login, its work dir) on `port` (0: any),
 * and resolves once it listens.
 */
export const startRunnerProcess = async ({
  env,
  token,
  port = 0,
  graceMs = 10_000,
}: {
  env: Record<string, string>
  token: string
  port?: number
  graceMs?: number
}): Promise<RunnerProcess> => {
  // Node itself with tsx's loader (not the tsx binary, which would stand between the signals
  // and the host).
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/index.ts'),
      'runner',
      '--port',
      String(port),
      '--log-level',
      'silent',
    ],
    {
      cwd: ROOT,
      env: { ...env, RUNNER_TOKEN: token, SHUTDOWN_GRACE_MS: String(graceMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'gone'))
  )
  let output = ''
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const listening = new Promise<string>((resolve, reject) => {
    let line = ''
    child.stdout?.on('data', (chunk) => {
      line += chunk
      const url = /runner host on (http:\/\/\S+)/.exec(line)?.[1]
      if (url) resolve(url)
    })
    void exited.then((code) => reject(new Error(`runner host exited (${code}): ${output}`)))
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  const url = await Promise.race([
    listening,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`runner host did not listen within 30 s: ${output}`))
      }, 30_000)
    }),
  ]).finally(() => clearTimeout(timer))
  return {
    url,
    port: Number(new URL(url).port),
    child,
    exited,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
