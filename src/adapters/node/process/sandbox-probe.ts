/**
 * Whether this server can sandbox a run, found once: bubblewrap, socat (and setpriv, as root)
 * are there, this architecture has a seccomp filter, and bubblewrap really makes the sandbox of
 * sandbox.ts here, privilege dropped. If not, runs that need it are refused with the reason
 * (fail closed): never run with privilege instead. As root, each sandbox at once gets a host
 * user of its own from a range (so one's processes never count against another's limit).
 */
import { spawn } from 'node:child_process'
import { access, constants, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PolicyError } from '../../../errors/index.js'
import type { Logger } from '../../../lib/logger.js'
import {
  becomeArgs,
  createFdList,
  type HostUser,
  isolationArgs,
  type SandboxIdentity,
  type SandboxKit,
  systemArgs,
} from './sandbox.js'
import { createSandboxCgroups } from './sandbox-cgroup.js'
import { limitedShellScript, type SandboxLimits } from './sandbox-limits.js'
import { buildSeccompFilter, seccompSupported } from './seccomp.js'

const SOCAT = '/usr/bin/socat'
const SETPRIV = '/usr/bin/setpriv'

export type SandboxOptions = {
  /** bubblewrap's path; `null` disables the sandbox (such runs are refused). */
  path?: string | null
  /** Where the filter and the shell are written (the runner's work directory). */
  workDir: string
  limits: SandboxLimits
  /** What a sandbox's processes hold together, where cgroups can bound it (sandbox-cgroup.ts). */
  totalMemoryMb: number
  /** As root: the first host user (and group) of the range sandboxes run as. */
  firstUser: HostUser
  /** As root: how many sandboxes may run at once (the range's size). */
  users: number
  logger: Logger
}

/** Writes what every sandbox reads through a descriptor: the seccomp program and the shell. */
const writeKit = async (dir: string, limits: SandboxLimits): Promise<SandboxKit> => {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const kit = { seccomp: join(dir, 'seccomp.bpf'), shell: join(dir, 'bash'), limits }
  await writeFile(kit.seccomp, buildSeccompFilter(), { mode: 0o600 })
  await writeFile(kit.shell, limitedShellScript(limits), { mode: 0o600 })
  return kit
}

/** Runs `true` in the sandbox as runs get it; resolves with bubblewrap's complaint, if any. */
const trySandbox = async (path: string, kit: SandboxKit, identity: SandboxIdentity) => {
  const fds = createFdList()
  try {
    const args = [
      ...isolationArgs(await fds.add(kit.seccomp), identity),
      ...(await systemArgs()),
      ...becomeArgs(identity),
      '/bin/sh',
      '-c',
      // The proof that privilege is gone: no capability is left.
      'grep -q "^CapEff:[[:space:]]*0*$" /proc/self/status',
    ]
    return await new Promise<string | undefined>((resolve) => {
      const child = spawn(path, args, {
        cwd: '/',
        stdio: ['ignore', 'ignore', 'pipe', ...fds.fds()],
        timeout: 5_000,
      })
      let stderr = ''
      child.stderr?.on('data', (chunk) => (stderr += chunk))
      child.on('error', (error) => resolve(String(error)))
      child.on('close', (code) => resolve(code === 0 ? undefined : stderr.trim() || `exit ${code}`))
    })
  } finally {
    await fds.release()
  }
}

const usable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false
  )

const isRoot = () => process.getuid?.() === 0

/** Why there is no sandbox here, or bubblewrap's path and the kit every sandbox uses. */
const probe = async ({ path, workDir, limits, firstUser, totalMemoryMb }: SandboxOptions) => {
  if (path === null) return 'the operator turned the sandbox off'
  const bwrap = path ?? '/usr/bin/bwrap'
  if (!(await usable(bwrap))) return `bubblewrap is not installed (${bwrap})`
  if (!(await usable(SOCAT))) return `socat is not installed (${SOCAT})`
  if (isRoot() && !(await usable(SETPRIV))) return `setpriv is not installed (${SETPRIV})`
  if (!seccompSupported()) return `no seccomp filter for the ${process.arch} architecture`
  const kit = await writeKit(join(workDir, 'sandbox'), limits)
  const identity: SandboxIdentity = isRoot()
    ? { kind: 'host', user: firstUser }
    : { kind: 'namespaced' }
  const failure = await trySandbox(bwrap, kit, identity)
  if (failure === undefined) {
    const cgroups = await createSandboxCgroups({ totalMemoryMb, processes: limits.processes })
    return { bwrap, kit, cgroups }
  }
  return `bubblewrap cannot make a sandbox without privilege here: ${failure}`
}

/** As root, host users for sandboxes at once: the lowest free one of the range. */
const createUserRange = (first: HostUser, size: number) => {
  const taken = new Set<number>()
  return {
    take(): SandboxIdentity {
      if (!isRoot()) return { kind: 'namespaced' }
      let i = 0
      while (taken.has(i)) i++
      // Never more than the runner's slots; past the range, the last user is shared.
      const index = Math.min(i, size - 1)
      taken.add(index)
      return { kind: 'host', user: { uid: first.uid + index, gid: first.gid + index } }
    },
    give(identity: SandboxIdentity) {
      if (identity.kind === 'host') taken.delete(identity.user.uid - first.uid)
    },
  }
}

export type Sandbox = ReturnType<typeof createSandbox>

/** One run's sandbox: what makes it, who its processes are, and its cgroup's prefix. */
export type SandboxLease = {
  bwrap: string
  kit: SandboxKit
  identity: SandboxIdentity
  /** The command that enters its cgroup (empty where there is none). */
  prefix: string[]
  /** Gives its user and cgroup back, once its processes are gone. */
  release(): Promise<void>
}

export const createSandbox = (options: SandboxOptions) => {
  let found: ReturnType<typeof probe> | undefined
  const once = () => {
    found ??= probe(options).catch(
      (error: unknown) => `the sandbox could not be prepared: ${error}`
    )
    return found
  }
  const users = createUserRange(options.firstUser, options.users)
  /** bubblewrap's path and the kit for a run that needs the sandbox; without one it is refused. */
  const require = async () => {
    const result = await once()
    if (typeof result === 'string') {
      throw new PolicyError(
        `Bash and WebFetch run only inside an OS sandbox, which this server cannot make (${result}): leave them out of allowed_tools, or ask the operator`
      )
    }
    return result
  }
  return {
    /** Probes now, and says at once if runs that need the sandbox will be refused, and why. */
    async check() {
      const result = await once()
      if (typeof result === 'string') {
        options.logger.error('Bash and WebFetch are refused: there is no sandbox', {
          reason: result,
        })
      } else {
        options.logger.info('Bash and WebFetch run in the sandbox', {
          identity: isRoot() ? 'a host user of its own (setpriv)' : 'nobody in a user namespace',
          limits: `rlimits per process; per sandbox: ${result.cgroups.kind}`,
        })
      }
    },
    /** Removes what the sandboxes left (their cgroups' folder). */
    async close() {
      const result = await found
      if (result && typeof result !== 'string') await result.cgroups.close()
    },
    require,
    /** Everything one run's sandbox needs, held until `release`. */
    async acquire(): Promise<SandboxLease> {
      const { bwrap, kit, cgroups } = await require()
      const identity = users.take()
      try {
        const cgroup = await cgroups.enter()
        const release = async () => {
          users.give(identity)
          await cgroup?.release()
        }
        return { bwrap, kit, identity, prefix: cgroup?.prefix ?? [], release }
      } catch (error) {
        users.give(identity)
        throw error
      }
    },
    /** Who a sandbox's processes are, until `give` takes it back when they are gone. */
    take: users.take,
    give: users.give,
  }
}
