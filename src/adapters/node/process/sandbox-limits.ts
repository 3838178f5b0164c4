/**
 * What one sandboxed command may use. Set as rlimits by the shell every command starts in (the
 * CLI's `CLAUDE_CODE_SHELL`), so they bind what a key's commands run and not the CLI itself
 * (whose runtime reserves far more address space than it uses). The tmpfs sizes are mount
 * options. Processes are counted per sandbox: each has a user namespace of its own, and its
 * processes belong to an unprivileged user (RLIMIT_NPROC does not bind root).
 * What a sandbox's processes hold together is bounded by its cgroup (sandbox-cgroup.ts).
 */

export type SandboxLimits = {
  /** Address space of one process (RLIMIT_AS), MiB. */
  memoryMb: number
  /** Processes and threads of the sandbox's user at once (RLIMIT_NPROC), the CLI's included. */
  processes: number
  /** CPU time of one process (RLIMIT_CPU), seconds. */
  cpuSeconds: number
  /** Size of one file written (RLIMIT_FSIZE), MiB. */
  fileMb: number
  /** Each of `/tmp` and a throwaway run's directory (tmpfs), MiB. */
  tmpMb: number
  /** `/dev/shm` (tmpfs), MiB. */
  shmMb: number
}

/** Where the limited shell is inside the sandbox: the CLI takes a shell whose path names bash. */
export const LIMITED_SHELL = '/run/cca/bash'

/** The limits in words, as a command that failed reports them. */
export const describeLimits = (limits: SandboxLimits) =>
  `memory ${limits.memoryMb} MiB per process, ${limits.processes} processes, CPU ${limits.cpuSeconds} s per process, files ${limits.fileMb} MiB, /tmp ${limits.tmpMb} MiB, /dev/shm ${limits.shmMb} MiB`

/**
 * The shell every command starts in: hard limits (which an unprivileged process cannot raise),
 * then bash with the CLI's arguments. A command that fails is told the limits it ran under, so a
 * limit it hit is named (the kernel's own words name only some: "CPU time limit exceeded").
 */
export const limitedShellScript = (limits: SandboxLimits) =>
  [
    '#!/bin/bash',
    // Over a sandbox's memory limit (its cgroup's), commands are killed before the CLI.
    'echo 1000 > /proc/self/oom_score_adj 2>/dev/null',
    `ulimit -v ${limits.memoryMb * 1024}`,
    `ulimit -u ${limits.processes}`,
    `ulimit -t ${limits.cpuSeconds}`,
    `ulimit -f ${limits.fileMb * 1024}`,
    '/bin/bash "$@"',
    'status=$?',
    `[ "$status" -eq 0 ] || printf '%s\\n' '[sandbox limits: ${describeLimits(limits)}]' >&2`,
    'exit "$status"',
    '',
  ].join('\n')
