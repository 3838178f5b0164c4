/**
 * The OS sandbox for runs with tools that permission rules cannot confine (Bash): the CLI runs
 * inside bubblewrap (Debian's `bubblewrap`) on a minimal root of its own. What is there:
 * - read-only: the system (`/usr` and its links, a few files of `/etc`), and the CLI itself;
 * - writable: the run's own directory (a size-capped tmpfs unless it is a kept session's), the
 *   CLI's folder for it, and a size-capped `/tmp`;
 * - the CLI's login (its credentials file), which the CLI must read;
 * - a network namespace of its own, whose only way out is the egress proxy (egress-proxy.ts),
 *   reached through socat on 127.0.0.1:3128: the Messages API, nothing else of the network,
 *   and nothing of the server's loopback;
 * - its own process, IPC and UTS namespaces and session; it dies with the server.
 * What is not there: the server's home, environment (the child's is an allow-list, see
 * child-env.ts), `/tmp`, `/run` and `/var` with their sockets, other runs, kept sessions, the
 * keys file and the usage database. Measured on 2.1.330 (claude-cli.md §5.5).
 */
import { execFile } from 'node:child_process'
import { access, constants, mkdir, realpath } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { PolicyError } from '../../../errors/index.js'
import { projectDir } from '../disk/history.js'

/**
 * Tools that reach the whole machine whatever the permission rules say: Bash, and WebFetch,
 * which fetches from the server's network (loopback and private addresses included).
 */
const UNCONFINED_TOOLS = new Set(['Bash', 'BashOutput', 'KillShell', 'KillBash', 'WebFetch'])

export const needsSandbox = (tools: readonly string[] | undefined) =>
  (tools ?? []).some((tool) => UNCONFINED_TOOLS.has(tool))

/** Where socat listens inside the sandbox, and where the proxy's socket appears there. */
export const PROXY_PORT = 3128
const PROXY_SOCKET = '/run/cca-egress.sock'
const SOCAT = '/usr/bin/socat'
/** The sandbox's `/tmp`; the run's directory is its only other writable place. */
const TMP_BYTES = 256 * 1024 * 1024

/** The system, read-only: `/usr`, and the merged-/usr links or directories beside it. */
const systemArgs = async () => {
  const args = ['--ro-bind', '/usr', '/usr']
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64']) {
    const target = await realpath(dir).catch(() => undefined)
    if (target === undefined) continue
    if (target.startsWith('/usr/')) args.push('--symlink', target.slice(1), dir)
    else args.push('--ro-bind', dir, dir)
  }
  // What programs need of /etc: users, name resolution, certificates, Debian's alternatives.
  for (const file of [
    '/etc/passwd',
    '/etc/group',
    '/etc/hosts',
    '/etc/nsswitch.conf',
    '/etc/ssl',
    '/etc/ca-certificates',
    '/etc/alternatives',
    '/etc/localtime',
    '/etc/ld.so.cache',
  ]) {
    args.push('--ro-bind-try', file, file)
  }
  return args
}

/** Namespaces and the bare minimum, as the probe and every run use them. */
const isolationArgs = [
  '--die-with-parent',
  '--new-session',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-net',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
]

const exists = (path: string, mode = constants.F_OK) =>
  access(path, mode).then(
    () => true,
    () => false
  )

/** Whether bubblewrap at `path` can make such a sandbox here (it needs namespaces), with socat. */
const works = async (path: string) =>
  (await exists(SOCAT, constants.X_OK)) &&
  new Promise<boolean>((resolve) => {
    void systemArgs().then((system) =>
      execFile(path, [...isolationArgs, ...system, 'true'], { timeout: 5_000 }, (error) =>
        resolve(!error)
      )
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
        'Bash and WebFetch run only inside an OS sandbox (bubblewrap, with socat for its network), which this server does not have: leave them out of allowed_tools, or ask the operator to install bubblewrap and socat'
      )
    }
    return found
  }
}

export type SandboxPaths = {
  /** The run's working directory: where tools may write. */
  cwd: string
  /** It outlives the run (a kept session's): bound from the host, not a capped tmpfs. */
  keep: boolean
  /** The CLI's config directory: only its login and this run's project folder are there. */
  configDir: string
  /** The CLI binary: its package's directory is there, read-only. */
  binary: string
  /** The egress proxy's socket on the host. */
  egressSocket: string
  /** Files that must not be there even if a path above holds them (the keys file). */
  hidden: readonly string[]
}

/**
 * The CLI's real path and the directory it is installed in (its package's, for the pinned
 * dependency): only that directory is in the sandbox, so a link to the binary (npm's .bin, a
 * global install on PATH) would lead nowhere there.
 */
const installOf = async (binary: string) => {
  const real = await realpath(binary)
  const dir = dirname(real)
  return { real, dir: basename(dir) === 'bin' ? dirname(dir) : dir }
}

/**
 * bubblewrap's arguments for a run, then the command that starts socat and, once the proxy's
 * port answers, the CLI (last here, by its real path) with the arguments that follow.
 */
export const sandboxArgs = async ({
  cwd,
  keep,
  configDir,
  binary,
  egressSocket,
  hidden,
}: SandboxPaths) => {
  const project = projectDir(configDir, cwd)
  await mkdir(project, { recursive: true, mode: 0o700 })
  const proxy = `http://127.0.0.1:${PROXY_PORT}`
  const args = [...isolationArgs, ...(await systemArgs())]
  args.push('--size', String(TMP_BYTES), '--tmpfs', '/tmp')
  const cli = await installOf(binary)
  args.push('--ro-bind', cli.dir, cli.dir)
  // A throwaway run's directory is a size-capped tmpfs (nothing of it is kept); a kept
  // session's is its own folder on the host.
  if (keep) args.push('--bind', cwd, cwd)
  else args.push('--size', String(TMP_BYTES), '--tmpfs', cwd)
  args.push('--bind', project, project)
  // The CLI's login, when it is a file: the CLI must read it (so can what it runs).
  const login = join(configDir, '.credentials.json')
  if (await exists(login)) args.push('--ro-bind', login, login)
  for (const file of hidden) if (await exists(file)) args.push('--ro-bind', '/dev/null', file)
  args.push('--ro-bind', egressSocket, PROXY_SOCKET)
  args.push('--setenv', 'TMPDIR', '/tmp')
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) {
    args.push('--setenv', name, proxy)
  }
  args.push('--unsetenv', 'NO_PROXY', '--unsetenv', 'no_proxy')
  args.push('--chdir', cwd, '--')
  // socat forwards the proxy's port to its socket; the CLI starts once the port answers.
  const start = [
    `${SOCAT} TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${PROXY_SOCKET} &`,
    'i=0',
    `until ${SOCAT} -u OPEN:/dev/null TCP:127.0.0.1:${PROXY_PORT} 2>/dev/null; do`,
    '  i=$((i+1)); [ "$i" -gt 500 ] && break',
    'done',
    'exec "$@"',
  ].join('\n')
  args.push('/bin/sh', '-c', start, 'sandbox', cli.real)
  return args
}
