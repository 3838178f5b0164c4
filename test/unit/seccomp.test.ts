/**
 * The sandbox's seccomp program, run on a small classic-BPF interpreter: what it decides for each
 * call. (The kernel's own verdicts are in test/e2e/security-root.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { buildSeccompFilter, seccompSupported } from '../../src/adapters/node/process/seccomp.js'

const AUDIT = { x64: 0xc000003e, arm64: 0xc00000b7 }
const ALLOW = 0x7fff0000
const KILL = 0x80000000
const errno = (n: number) => 0x00050000 | n

/** Runs the program on one call: arch, number, the low words of the first two arguments. */
const decide = (program: Buffer, call: { arch: number; nr: number; args?: number[] }) => {
  const data = Buffer.alloc(64)
  data.writeInt32LE(call.nr, 0)
  data.writeUInt32LE(call.arch, 4)
  for (const [i, arg] of (call.args ?? []).entries()) data.writeUInt32LE(arg >>> 0, 16 + i * 8)
  let a = 0
  for (let pc = 0; pc < program.length / 8; pc++) {
    const code = program.readUInt16LE(pc * 8)
    const jt = program.readUInt8(pc * 8 + 2)
    const jf = program.readUInt8(pc * 8 + 3)
    const k = program.readUInt32LE(pc * 8 + 4)
    if (code === 0x20) a = data.readUInt32LE(k)
    else if (code === 0x06) return k
    else if (code === 0x15) pc += a === k ? jt : jf
    else if (code === 0x35) pc += a >= k ? jt : jf
    else if (code === 0x45) pc += (a & k) !== 0 ? jt : jf
    else throw new Error(`unexpected opcode ${code}`)
  }
  throw new Error('the program ran off its end')
}

describe('the seccomp filter', () => {
  const x64 = buildSeccompFilter('x64')
  const on = (nr: number, args?: number[]) => decide(x64, { arch: AUDIT.x64, nr, args })

  it('refuses the escape calls with EPERM and allows the rest', () => {
    // open_by_handle_at, name_to_handle_at, mount, umount2, pivot_root, ptrace, keyctl, bpf,
    // unshare, setns, init_module, finit_module, reboot.
    for (const nr of [304, 303, 165, 166, 155, 101, 250, 321, 272, 308, 175, 313, 169]) {
      expect(on(nr), String(nr)).toBe(errno(1))
    }
    // read, write, openat, execve, wait4, socket, connect.
    for (const nr of [0, 1, 257, 59, 61, 41, 42]) expect(on(nr), String(nr)).toBe(ALLOW)
  })

  it('looks into clone and ioctl: new namespaces and TIOCSTI are refused, the rest allowed', () => {
    const CLONE_NEWUSER = 0x10000000
    const CLONE_NEWNS = 0x00020000
    const SIGCHLD = 17
    expect(on(56, [SIGCHLD])).toBe(ALLOW)
    expect(on(56, [0x003d0f00])).toBe(ALLOW) // pthread_create's flags
    expect(on(56, [SIGCHLD | CLONE_NEWUSER])).toBe(errno(1))
    expect(on(56, [SIGCHLD | CLONE_NEWNS])).toBe(errno(1))
    expect(on(16, [1, 0x5412])).toBe(errno(1))
    expect(on(16, [1, 0x5401])).toBe(ALLOW) // TCGETS
  })

  it('makes clone3 and io_uring unavailable (ENOSYS), so programs fall back', () => {
    for (const nr of [435, 425, 426, 427]) expect(on(nr)).toBe(errno(38))
  })

  it("refuses x32 calls and kills a process that uses another architecture's", () => {
    expect(on(0x40000000 + 304)).toBe(errno(1))
    expect(on(0x40000000)).toBe(errno(1))
    expect(decide(x64, { arch: 0x40000003, nr: 304 })).toBe(KILL) // i386
  })

  it('has a program for arm64 with its own numbers', () => {
    const arm64 = buildSeccompFilter('arm64')
    expect(decide(arm64, { arch: AUDIT.arm64, nr: 265 })).toBe(errno(1)) // open_by_handle_at
    expect(decide(arm64, { arch: AUDIT.arm64, nr: 40 })).toBe(errno(1)) // mount
    expect(decide(arm64, { arch: AUDIT.arm64, nr: 63 })).toBe(ALLOW) // read
    expect(decide(arm64, { arch: AUDIT.x64, nr: 0 })).toBe(KILL)
  })

  it('is refused for an architecture it has no table for', () => {
    expect(seccompSupported('riscv64')).toBe(false)
    expect(() => buildSeccompFilter('riscv64')).toThrow(/riscv64/)
  })
})
