/**
 * The OS sandbox for runs with tools that permission rules cannot confine (Bash): the CLI runs
 * inside bubblewrap (Debian's `bubblewrap`) on a minimal root of its own. What is there:
 * - read-only: the system (`/usr` and its links, a few files of `/etc`), and the CLI itself;
 * - writable: the run's own directory (a size-capped tmpfs unless it is a kept session's), the
 *   CLI's folder for it, and size-capped `/tmp` and `/dev/shm`;
 * - a copy of the CLI's login (its credentials file), which the CLI must read;
 * - a network namespace of its own, whose only way out is the egress proxy (egress-proxy.ts),
 *   reached through socat on 127.0.0.1:3128: the Messages API, nothing else of the network,
 *   and nothing of the server's loopback;
 * - its own user, process, IPC and UTS namespaces and session; it dies with the server.
 * Whoever the server runs as, nothing inside is privileged: the sandbox's user is unprivileged
 * in a user namespace of its own, every capability is dropped, `no_new_privs` is set, and a
 * seccomp filter (seccomp.ts) refuses the calls that lead out. A server running as root starts
 * bubblewrap as an unprivileged user (`sandboxUser`), so what the sandbox's processes are on the
 * host is that user too: outside paths reach it as descriptors the server opened, never by name.
 * Every command runs under the limits of sandbox-limits.ts.
 * What is not there: the server's home, environment (the child's is an allow-list, see
 * child-env.ts), `/tmp`, `/run` and `/var` with their sockets, other runs, kept sessions, the
 * keys file and the usage database. Measured on 2.1.330 (claude-cli.md §5.5).
 */
import {
  access,
  chown,
  constants,
  type FileHandle,
  lchown,
  mkdir,
  open,
  readdir,
  realpath,
} from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { projectDir } from '../disk/history.js'
import { LIMITED_SHELL, type SandboxLimits } from './sandbox-limits.js'

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

/** The system, read-only: `/usr`, and the merged-/usr links or directories beside it. */
export const systemArgs = async () => {
  const args = ['--ro-bind', '/usr', '/usr']
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64']) {
    const target = await realpath(dir).catch(() => undefined)
    if (target === undefined) continue
    if (target.startsWith('/usr/')) args.push('--symlink', target.slice(1), dir)
    else args.push('--ro-bind', dir, dir)
  }
  // What programs need of /etc: users, name resolution, certificates, Debian's alternatives.
  args.push('--dir', '/etc')
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
    '/etc/perl',
  ]) {
    args.push('--ro-bind-try', file, file)
  }
  return args
}

/** The sandbox's own user and group inside its user namespace: `nobody`, never root. */
const NAMESPACED_ID = '65534'
const SETPRIV = '/usr/bin/setpriv'

/**
 * Who the sandbox's processes are. A server running as an ordinary user starts bubblewrap
 * unprivileged: a user namespace of its own, where they are `nobody` and hold no capability.
 * A server running as root starts bubblewrap privileged (it must reach what root reaches), and
 * the first thing inside becomes `user`, a real unprivileged host user, with every capability
 * and the bounding set dropped: nothing of it is root anywhere, and RLIMIT_NPROC binds it
 * (it does not bind root, namespaced or not).
 */
export type SandboxIdentity = { kind: 'namespaced' } | { kind: 'host'; user: HostUser }

/** Namespaces, privilege and the bare minimum, as the probe and every run use them. */
export const isolationArgs = (seccompFd: string, identity: SandboxIdentity) => [
  '--die-with-parent',
  '--new-session',
  ...(identity.kind === 'namespaced'
    ? ['--unshare-user', '--uid', NAMESPACED_ID, '--gid', NAMESPACED_ID, '--disable-userns']
    : []),
  // Privileged, only what setpriv needs to become the host user (it then drops these too).
  '--cap-drop',
  'ALL',
  ...(identity.kind === 'host'
    ? ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP']
    : []),
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--unshare-net',
  '--seccomp',
  seccompFd,
  '--proc',
  '/proc',
  '--dev',
  '/dev',
]

/** What runs first inside: nothing for a namespaced sandbox, setpriv for a host user's. */
export const becomeArgs = (identity: SandboxIdentity) => {
  if (identity.kind === 'namespaced') return []
  const id = String(identity.user.uid)
  const group = String(identity.user.gid)
  return [
    ...[SETPRIV, '--reuid', id, '--regid', group, '--clear-groups'],
    ...['--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'],
  ]
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

/** A host user and group. */
export type HostUser = { uid: number; gid: number }

/** What the server prepared once for every sandbox: the filter, the shell, the limits. */
export type SandboxKit = {
  /** The seccomp program's file (seccomp.ts). */
  seccomp: string
  /** The limited shell's file (sandbox-limits.ts). */
  shell: string
  limits: SandboxLimits
}

/** A sandbox ready to spawn: the command, and the descriptors it names (from 3 on). */
export type SandboxLaunch = {
  command: string[]
  fds: number[]
  /** Closes the server's copies of the descriptors (once the process has its own). */
  release(): Promise<void>
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

const exists = (path: string) =>
  access(path, constants.F_OK).then(
    () => true,
    () => false
  )

/** Descriptors passed to bubblewrap: `add` opens a file and gives its number in the child. */
export const createFdList = () => {
  const handles: FileHandle[] = []
  return {
    async add(path: string) {
      handles.push(await open(path, 'r'))
      return String(2 + handles.length)
    },
    fds: () => handles.map((handle) => handle.fd),
    release: async () => {
      await Promise.all(handles.map((handle) => handle.close().catch(() => {})))
    },
  }
}

/** What a host-user sandbox writes to on the host is that user's (the rest is root's). */
const handOver = async (paths: string[], identity: SandboxIdentity) => {
  if (identity.kind === 'namespaced') return
  const { uid, gid } = identity.user
  for (const path of paths) {
    await chown(path, uid, gid)
    for (const entry of await readdir(path, { recursive: true })) {
      await lchown(join(path, entry), uid, gid)
    }
  }
}

const megabytes = (n: number) => String(n * 1024 * 1024)

/**
 * `--dir` for each folder above `path`: bubblewrap would make them itself, but as root with mode
 * 0700, which the sandbox's unprivileged user could not enter.
 */
const parentsOf = (path: string) => {
  const parts = path.split('/').filter(Boolean).slice(0, -1)
  return parts.flatMap((_, i) => ['--dir', `/${parts.slice(0, i + 1).join('/')}`])
}

/**
 * bubblewrap's command for a run, then the command that starts socat and, once the proxy's port
 * answers, the CLI (last here, by its real path) with the arguments that follow.
 */
export const prepareSandbox = async (
  bwrap: string,
  { cwd, keep, configDir, binary, egressSocket, hidden }: SandboxPaths,
  kit: SandboxKit,
  identity: SandboxIdentity
): Promise<SandboxLaunch> => {
  const project = projectDir(configDir, cwd)
  await mkdir(project, { recursive: true, mode: 0o700 })
  await handOver(keep ? [project, cwd] : [project], identity)
  const fds = createFdList()
  try {
    const args = [...isolationArgs(await fds.add(kit.seccomp), identity), ...(await systemArgs())]
    /** A mount at `dest`, the folders above it open to the sandbox's user. */
    const mount = (dest: string, ...op: string[]) => args.push(...parentsOf(dest), ...op, dest)
    // Each writable tmpfs is capped, and open to the sandbox's user (created by root or not).
    const tmpfs = (mb: number, path: string) =>
      mount(path, '--perms', '01777', '--size', megabytes(mb), '--tmpfs')
    tmpfs(kit.limits.shmMb, '/dev/shm')
    tmpfs(kit.limits.tmpMb, '/tmp')
    const cli = await installOf(binary)
    mount(cli.dir, '--ro-bind', cli.dir)
    // The CLI's config directory is its own tmpfs (it writes its settings there), where only
    // this run's project folder and the login are the host's.
    tmpfs(kit.limits.tmpMb, configDir)
    // A throwaway run's directory is a size-capped tmpfs (nothing of it is kept); a kept
    // session's is its own folder on the host.
    if (keep) mount(cwd, '--bind', cwd)
    else tmpfs(kit.limits.tmpMb, cwd)
    mount(project, '--bind', project)
    // A copy of the CLI's login, when it is a file: the CLI must read it (so can what it runs).
    const login = join(configDir, '.credentials.json')
    if (await exists(login)) {
      mount(login, '--perms', '0444', '--ro-bind-data', await fds.add(login))
    }
    for (const file of hidden) if (await exists(file)) args.push('--ro-bind', '/dev/null', file)
    mount(PROXY_SOCKET, '--ro-bind', egressSocket)
    mount(LIMITED_SHELL, '--perms', '0555', '--ro-bind-data', await fds.add(kit.shell))
    args.push('--setenv', 'TMPDIR', '/tmp', '--setenv', 'CLAUDE_CODE_SHELL', LIMITED_SHELL)
    const proxy = `http://127.0.0.1:${PROXY_PORT}`
    for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy']) {
      args.push('--setenv', name, proxy)
    }
    args.push('--unsetenv', 'NO_PROXY', '--unsetenv', 'no_proxy')
    // Nothing else is writable: the root and /dev that bubblewrap made (tmpfs without a cap,
    // the sandbox's own in a user namespace) are made read-only once everything is in place.
    args.push('--remount-ro', '/dev', '--remount-ro', '/')
    // The run's directory is entered by the sandbox's user (root, without capabilities, could not).
    args.push('--chdir', '/', '--', ...becomeArgs(identity))
    // socat forwards the proxy's port to its socket; the CLI starts once the port answers.
    const start = [
      'cd -- "$1" || exit 1',
      'shift',
      `${SOCAT} TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${PROXY_SOCKET} &`,
      'i=0',
      `until ${SOCAT} -u OPEN:/dev/null TCP:127.0.0.1:${PROXY_PORT} 2>/dev/null; do`,
      '  i=$((i+1)); [ "$i" -gt 500 ] && break',
      'done',
      'exec "$@"',
    ].join('\n')
    args.push('/bin/sh', '-c', start, 'sandbox', cwd, cli.real)
    return { command: [bwrap, ...args], fds: fds.fds(), release: fds.release }
  } catch (error) {
    await fds.release()
    throw error
  }
}
