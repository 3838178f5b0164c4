/**
 * The seccomp filter every sandboxed process runs under (bubblewrap's `--seccomp FD` loads it):
 * a classic BPF program that refuses the calls a process could leave the sandbox with or harm the
 * machine through, and allows everything else. Built here, a table of system call numbers and a
 * dozen instructions, because the well-kept builder (libseccomp) is a C library with no
 * maintained Node binding; `test/unit/seccomp.test.ts` checks the program's encoding and
 * `test/e2e/security-root.test.ts` that the real kernel refuses the calls inside Bash.
 */
import { arch } from 'node:process'

/** Calls refused by name with EPERM: each reaches past the sandbox (or the machine's state). */
const REFUSED = [
  'open_by_handle_at',
  'name_to_handle_at',
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'open_tree',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'unshare',
  'setns',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'pidfd_getfd',
  'kcmp',
  'keyctl',
  'add_key',
  'request_key',
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'fanotify_init',
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'quotactl',
  'quotactl_fd',
  'syslog',
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  'sethostname',
  'setdomainname',
  'vhangup',
  'lookup_dcookie',
] as const

/** Refused with ENOSYS so that programs fall back: clone3's flags cannot be inspected, io_uring bypasses this filter. */
const UNAVAILABLE = ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const

type Name = (typeof REFUSED)[number] | (typeof UNAVAILABLE)[number] | 'clone' | 'ioctl'

/** System call numbers (asm/unistd_64.h for x86-64, asm-generic for arm64). */
const NUMBERS: Record<'x64' | 'arm64', { audit: number; calls: Record<Name, number> }> = {
  x64: {
    audit: 0xc000003e,
    calls: {
      open_by_handle_at: 304,
      name_to_handle_at: 303,
      mount: 165,
      umount2: 166,
      pivot_root: 155,
      chroot: 161,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      unshare: 272,
      setns: 308,
      ptrace: 101,
      process_vm_readv: 310,
      process_vm_writev: 311,
      pidfd_getfd: 438,
      kcmp: 312,
      keyctl: 250,
      add_key: 248,
      request_key: 249,
      bpf: 321,
      perf_event_open: 298,
      userfaultfd: 323,
      fanotify_init: 300,
      init_module: 175,
      finit_module: 313,
      delete_module: 176,
      kexec_load: 246,
      kexec_file_load: 320,
      reboot: 169,
      swapon: 167,
      swapoff: 168,
      acct: 163,
      quotactl: 179,
      quotactl_fd: 443,
      syslog: 103,
      settimeofday: 164,
      clock_settime: 227,
      clock_adjtime: 305,
      adjtimex: 159,
      sethostname: 170,
      setdomainname: 171,
      vhangup: 153,
      lookup_dcookie: 212,
      clone3: 435,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      clone: 56,
      ioctl: 16,
    },
  },
  arm64: {
    audit: 0xc00000b7,
    calls: {
      open_by_handle_at: 265,
      name_to_handle_at: 264,
      mount: 40,
      umount2: 39,
      pivot_root: 41,
      chroot: 51,
      open_tree: 428,
      move_mount: 429,
      fsopen: 430,
      fsconfig: 431,
      fsmount: 432,
      fspick: 433,
      mount_setattr: 442,
      unshare: 97,
      setns: 268,
      ptrace: 117,
      process_vm_readv: 270,
      process_vm_writev: 271,
      pidfd_getfd: 438,
      kcmp: 272,
      keyctl: 219,
      add_key: 217,
      request_key: 218,
      bpf: 280,
      perf_event_open: 241,
      userfaultfd: 282,
      fanotify_init: 262,
      init_module: 105,
      finit_module: 273,
      delete_module: 106,
      kexec_load: 104,
      kexec_file_load: 294,
      reboot: 142,
      swapon: 224,
      swapoff: 225,
      acct: 89,
      quotactl: 60,
      quotactl_fd: 443,
      syslog: 116,
      settimeofday: 170,
      clock_settime: 112,
      clock_adjtime: 266,
      adjtimex: 171,
      sethostname: 161,
      setdomainname: 162,
      vhangup: 58,
      lookup_dcookie: 18,
      clone3: 435,
      io_uring_setup: 425,
      io_uring_enter: 426,
      io_uring_register: 427,
      clone: 220,
      ioctl: 29,
    },
  },
}

/** clone's flags that make namespaces (NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET). */
const NEW_NAMESPACE_FLAGS = 0x7e020000
/** TIOCSTI: types into a terminal's input (a way out through a shared terminal). */
const TIOCSTI = 0x5412
const EPERM = 1
const ENOSYS = 38

// Classic BPF: opcodes and where seccomp_data keeps what the filter reads.
const LD_ABS = 0x20
const JEQ = 0x15
const JGE = 0x35
const JSET = 0x45
const RET = 0x06
const NR = 0
const ARCH = 4
const ARG0 = 16
const ARG1 = 24
const RET_ALLOW = 0x7fff0000
const RET_KILL_PROCESS = 0x80000000
const retErrno = (errno: number) => 0x00050000 | errno
/** x86-64's x32 calls have this bit set; none of them is wanted. */
const X32_BIT = 0x40000000

/** A jump goes `n` instructions ahead, or to one of the returns at the end. */
type Target = number | 'eperm' | 'enosys'
type Instruction = [code: number, jt: Target, jf: Target, k: number]

/** Whether this machine's architecture has a filter (elsewhere the sandbox is refused). */
export const seccompSupported = (architecture: string = arch) => architecture in NUMBERS

/** The filter for `architecture`, as the bytes of `struct sock_filter[]` that bubblewrap reads. */
export const buildSeccompFilter = (architecture: string = arch): Buffer => {
  const table = NUMBERS[architecture as keyof typeof NUMBERS]
  if (!table) throw new Error(`no seccomp filter for the ${architecture} architecture`)
  const { audit, calls } = table
  const program: Instruction[] = [
    [LD_ABS, 0, 0, ARCH],
    // Another architecture's calls (x86-64's 32-bit ones) have other numbers: the process dies.
    [JEQ, 1, 0, audit],
    [RET, 0, 0, RET_KILL_PROCESS],
    [LD_ABS, 0, 0, NR],
  ]
  if (architecture === 'x64') program.push([JGE, 'eperm', 0, X32_BIT])
  for (const name of REFUSED) program.push([JEQ, 'eperm', 0, calls[name]])
  for (const name of UNAVAILABLE) program.push([JEQ, 'enosys', 0, calls[name]])
  // clone with a namespace flag, ioctl TIOCSTI; each reloads the call number after its look.
  program.push(
    [JEQ, 0, 3, calls.clone],
    [LD_ABS, 0, 0, ARG0],
    [JSET, 'eperm', 0, NEW_NAMESPACE_FLAGS],
    [LD_ABS, 0, 0, NR],
    [JEQ, 0, 3, calls.ioctl],
    [LD_ABS, 0, 0, ARG1],
    [JEQ, 'eperm', 0, TIOCSTI],
    [LD_ABS, 0, 0, NR],
    [RET, 0, 0, RET_ALLOW]
  )
  const returns = { eperm: program.length, enosys: program.length + 1 }
  program.push([RET, 0, 0, retErrno(EPERM)], [RET, 0, 0, retErrno(ENOSYS)])
  const offset = (target: Target, pc: number) =>
    typeof target === 'number' ? target : returns[target] - pc - 1
  const bytes = Buffer.alloc(program.length * 8)
  program.forEach(([code, jt, jf, k], pc) => {
    const [t, f] = [offset(jt, pc), offset(jf, pc)]
    if (t > 255 || f > 255) throw new Error('seccomp filter: a jump is too long')
    bytes.writeUInt16LE(code, pc * 8)
    bytes.writeUInt8(t, pc * 8 + 2)
    bytes.writeUInt8(f, pc * 8 + 3)
    bytes.writeUInt32LE(k >>> 0, pc * 8 + 4)
  })
  return bytes
}
