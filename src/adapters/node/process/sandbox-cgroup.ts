/**
 * A cgroup per sandbox, where the machine lets the server make one: its processes together hold
 * at most `totalMemoryMb` of memory (tmpfs pages they write included) and `processes` tasks,
 * whatever each one's rlimits allow (sandbox-limits.ts bounds one process; this bounds their
 * sum). Used as root on cgroup v1 hierarchies (`memory` and `pids` mounted writable, as on the
 * machines this is built and tested on). cgroup v2 needs a delegated subtree this cannot set up
 * safely on its own and cannot be tested here, so there the rlimits stand alone (logged).
 * Over the memory limit the kernel kills inside the sandbox only, commands first (the limited
 * shell raises their OOM score).
 */
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export type SandboxCgroups = {
  /** What the machine gave: `cgroup v1` or why there is none. */
  kind: string
  /** A cgroup for one sandbox: the command prefix that enters it, and its removal. */
  enter(): Promise<{ prefix: string[]; release(): Promise<void> } | undefined>
  /** Removes what is left of this server's cgroups (when it stops). */
  close(): Promise<void>
}

type Hierarchy = { mount: string; own: string }

/** Where the v1 hierarchy with `controller` is mounted, and this process's place in it. */
const hierarchyOf = async (controller: string): Promise<Hierarchy | undefined> => {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
  const mount = mounts
    .split('\n')
    .map((line) => line.split(' '))
    .find((f) => {
      const rest = f.slice(f.indexOf('-') + 1)
      return rest[0] === 'cgroup' && (rest[2] ?? '').split(',').includes(controller)
    })?.[4]
  const groups = await readFile('/proc/self/cgroup', 'utf8').catch(() => '')
  const own = groups
    .split('\n')
    .map((line) => line.split(':'))
    .find(([, controllers]) => (controllers ?? '').split(',').includes(controller))?.[2]
  return mount && own !== undefined ? { mount, own } : undefined
}

const MB = 1024 * 1024
const FOLDER = 'cca-sandboxes-'

/** Removes cgroups once their processes are gone (a moment after the sandbox's exit is seen). */
const removeWhenEmpty = async (dirs: string[]) => {
  for (let i = 0; i < 20; i++) {
    const left = await Promise.all(
      dirs.map((dir) =>
        rmdir(dir).then(
          () => false,
          (e) => e.code !== 'ENOENT'
        )
      )
    )
    if (!left.some(Boolean)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The folders of servers that are gone (named with their pid), and what is left in them. */
const removeStale = async (parent: string) => {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const pid = Number(name.slice(FOLDER.length).split('-')[0])
    if (!name.startsWith(FOLDER) || !pid || isAlive(pid)) continue
    const stale = join(parent, name)
    const inside = await readdir(stale, { withFileTypes: true }).catch(() => [])
    const groups = inside.filter((entry) => entry.isDirectory()).map((e) => join(stale, e.name))
    await removeWhenEmpty([...groups, stale])
  }
}

export const createSandboxCgroups = async (limits: {
  totalMemoryMb: number
  processes: number
}): Promise<SandboxCgroups> => {
  const none = (kind: string): SandboxCgroups => ({
    kind,
    enter: async () => undefined,
    close: async () => {},
  })
  if (process.getuid?.() !== 0) return none('none (not root: rlimits only)')
  const [memory, pids] = await Promise.all([hierarchyOf('memory'), hierarchyOf('pids')])
  if (!memory || !pids) return none('none (no cgroup v1 memory and pids hierarchies: rlimits only)')
  // One folder per runner (a process may hold several), removed when it closes; what a server
  // that is gone left is removed first.
  const folder = `${FOLDER}${process.pid}-${crypto.randomUUID().slice(0, 8)}`
  const base = (h: Hierarchy) => join(h.mount, h.own, folder)
  try {
    for (const h of [memory, pids]) {
      await removeStale(join(h.mount, h.own))
      await mkdir(base(h), { recursive: true })
    }
  } catch (error) {
    return none(`none (cgroups cannot be made here: ${(error as Error).message}; rlimits only)`)
  }
  let next = 0
  /** Sandboxes whose cgroups are still being removed: closing waits for them. */
  const releasing = new Set<Promise<void>>()
  return {
    kind: 'cgroup v1 (memory, pids)',
    async enter() {
      const name = `sandbox-${next++}`
      const memoryDir = join(base(memory), name)
      const pidsDir = join(base(pids), name)
      await mkdir(memoryDir)
      await mkdir(pidsDir)
      const bytes = String(limits.totalMemoryMb * MB)
      await writeFile(join(memoryDir, 'memory.limit_in_bytes'), bytes)
      // Swap too, where it is accounted (a write that fails: there is none to bound).
      await writeFile(join(memoryDir, 'memory.memsw.limit_in_bytes'), bytes).catch(() => {})
      await writeFile(join(pidsDir, 'pids.max'), String(limits.processes))
      // The shell that starts the sandbox enters both first, so all it starts is inside.
      const prefix = [
        '/bin/sh',
        '-c',
        'echo $$ > "$1" && echo $$ > "$2" && shift 2 && exec "$@"',
        'cgroup',
        join(memoryDir, 'cgroup.procs'),
        join(pidsDir, 'cgroup.procs'),
      ]
      const release = () => {
        const removing = removeWhenEmpty([memoryDir, pidsDir])
        releasing.add(removing)
        return removing.finally(() => releasing.delete(removing))
      }
      return { prefix, release }
    },
    async close() {
      await Promise.all(releasing)
      await Promise.all([memory, pids].map((h) => rmdir(base(h)).catch(() => {})))
    },
  }
}
