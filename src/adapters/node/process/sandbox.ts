/**
 * The OS sandbox for tools that permission rules cannot confine (Bash): the CLI runs inside
 * bubblewrap (Debian package `bubblewrap`), where the filesystem is read-only, the server's work
 * directory (other runs, kept sessions, owner records) and the CLI's config directory (other
 * keys' transcripts) are empty, the keys file is masked, and only the run's own directory (and
 * the CLI's folder for it) can be written. Measured on 2.1.330 (claude-cli.md §5.5): the CLI runs
 * normally inside, loopback networking included, and dies with its parent.
 */
import { execFile } from 'node:child_process'
import { access, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PolicyError } from '../../../errors/index.js'
import { projectDir } from '../disk/history.js'

/** Tools that reach the whole machine whatever the permission rules say. */
const UNCONFINED_TOOLS = new Set(['Bash', 'BashOutput', 'KillShell', 'KillBash'])

export const needsSandbox = (tools: readonly string[] | undefined) =>
  (tools ?? []).some((tool) => UNCONFINED_TOOLS.has(tool))

/** Whether bubblewrap at `path` can make a sandbox here (it needs namespaces). */
const works = (path: string) =>
  new Promise<boolean>((resolve) => {
    execFile(
      path,
      ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', 'true'],
      { timeout: 5_000 },
      (error) => resolve(!error)
    )
  })

/** Finds a working bubblewrap once; `null` disables the sandbox (Bash is then refused). */
export const createSandboxProbe = (path: string | null = '/usr/bin/bwrap') => {
  let found: Promise<string | undefined> | undefined
  return () => {
    found ??=
      path === null ? Promise.resolve(undefined) : works(path).then((ok) => (ok ? path : undefined))
    return found
  }
}

/** The sandbox's path for a run that needs one; without it such a run is refused. */
export const createSandboxRequirement = (path?: string | null) => {
  const probe = createSandboxProbe(path)
  return async () => {
    const found = await probe()
    if (!found) {
      throw new PolicyError(
        'Bash runs only inside an OS sandbox (bubblewrap), which this server does not have: leave Bash out of allowed_tools, or ask the operator to install bubblewrap'
      )
    }
    return found
  }
}

export type SandboxPaths = {
  /** The run's working directory: the only place tools may write. */
  cwd: string
  /** The server's work directory (runs, sessions, owners): hidden but for `cwd`. */
  workDir: string
  /** The CLI's config directory: hidden but for the login and this run's project folder. */
  configDir: string
  /** Files to mask (the keys file). */
  hidden: readonly string[]
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false
  )

/** bubblewrap's arguments for a run, ending where the command to run in it goes. */
export const sandboxArgs = async ({ cwd, workDir, configDir, hidden }: SandboxPaths) => {
  const project = projectDir(configDir, cwd)
  await mkdir(project, { recursive: true, mode: 0o700 })
  // Temporary files go in the run's own directory: /tmp stays read-only (the CLI itself may
  // live under it), and what must not be seen there is hidden one by one below.
  const tmp = join(cwd, '.tmp')
  await mkdir(tmp, { recursive: true, mode: 0o700 })
  const args = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--ro-bind', '/', '/']
  args.push('--dev', '/dev', '--proc', '/proc', '--setenv', 'TMPDIR', tmp)
  args.push('--tmpfs', workDir, '--bind', cwd, cwd)
  args.push('--tmpfs', configDir, '--bind', project, project)
  // The CLI's login, when it is a file: the CLI must read it (so can what it runs).
  const login = join(configDir, '.credentials.json')
  if (await exists(login)) args.push('--ro-bind', login, login)
  for (const file of hidden) if (await exists(file)) args.push('--ro-bind', '/dev/null', file)
  args.push('--chdir', cwd, '--')
  return args
}
