/**
 * A key allowed Bash, against a server that runs as root (as CI runs it): the attacks that
 * escaped the sandbox when bubblewrap kept uid 0 and every capability, and the commands that ran
 * without limits. Real CLI, real bubblewrap, the mock model running the attacker's command.
 * Run as an ordinary user, the same must hold (the sandbox then uses a user namespace).
 */
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let key: string
let keysFile: string
let canary: string

beforeAll(async () => {
  stack = await startTestStack({ allowedTools: ['Bash'] })
  keysFile = join(stack.home, 'api-keys')
  key = (await createKey(keysFile, { name: 'bash', policy: { tools: ['Bash'] } })).key
  canary = join(stack.home, 'canary.txt')
  await writeFile(canary, 'HOST-CANARY\n')
})
afterAll(async () => {
  await stack?.close()
})

/** Runs `command` with Bash once through `on`'s server; the tool results the model got. */
const runBashOn = async (on: TestStack, command: string, headers: Record<string, string> = {}) => {
  on.mock.reset()
  on.mock.setHandler((request) =>
    toolResultsOf(request.body).length > 0
      ? { kind: 'text', text: 'done' }
      : { kind: 'tool', name: 'Bash', input: { command, description: 'try it' } }
  )
  const res = await on.post(
    '/llm/query',
    { prompt: 'go', allowed_tools: ['Bash'], max_turns: 3 },
    { headers: { 'content-type': 'application/json', ...headers } }
  )
  expect(res.status).toBe(200)
  return JSON.stringify(on.mock.messageRequests().flatMap((r) => toolResultsOf(r.body)))
}
const runBash = (command: string) => runBashOn(stack, command, { authorization: `Bearer ${key}` })

/**
 * open_by_handle_at on the root directory of the filesystem `/usr` is on (ext4's root is inode 2):
 * with CAP_DAC_READ_SEARCH it opens the host's `/`, whatever the mount namespace shows. From
 * there it reads `read` and appends a line to `append` (host paths).
 */
const openByHandle = (read: string, append: string) => `cat > /tmp/obh.pl <<'PERL'
open(my $m, '<', '/usr') or die "open: $!";
my $h = pack('LlLL', 8, 1, 2, 0);
my $fd = syscall(304, fileno($m), $h, 0x10000);
if ($fd < 0) { print "HANDLE-REFUSED: $!\\n"; exit 0 }
opendir(my $d, "/proc/self/fd/$fd") or die "opendir: $!";
print "HOST-ROOT-LISTED: ", join(' ', readdir($d)), "\\n";
if (open(my $r, '<', "/proc/self/fd/$fd${read}")) { print "READ: ", <$r> }
if (open(my $w, '>>', "/proc/self/fd/$fd${append}")) { print $w "{}\\n"; print "APPENDED\\n" }
PERL
perl /tmp/obh.pl`

describe('Bash on a server running as root', () => {
  it('holds no privilege: no capability, no_new_privs, seccomp, not uid 0', async () => {
    const seen = await runBash(
      'grep -E "^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; echo "id=$(id -u)"'
    )
    expect(seen).toMatch(/CapEff:\\t0{16}/)
    expect(seen).toMatch(/CapBnd:\\t0{16}/)
    expect(seen).toMatch(/NoNewPrivs:\\t1/)
    expect(seen).toMatch(/Seccomp:\\t2/)
    expect(seen).not.toContain('id=0\\')
    expect(seen).toMatch(/id=[1-9]\d*/)
  }, 60_000)

  it('cannot open the host filesystem by handle, mount, remount, or make namespaces', async () => {
    const seen = await runBash(
      [
        openByHandle('/etc/hostname', '/nonexistent'),
        'mount -o remount,rw /usr 2>/dev/null && echo REMOUNTED',
        'mount -t tmpfs none /tmp 2>/dev/null && echo MOUNTED',
        'touch /usr/escape 2>/dev/null && echo USR-WRITTEN',
        'unshare -r true 2>/dev/null && echo USERNS-MADE',
        'unshare -m true 2>/dev/null && echo MOUNTNS-MADE',
        'echo tried-all',
      ].join('\n')
    )
    expect(seen).toContain('tried-all')
    expect(seen).toContain('HANDLE-REFUSED: Operation not permitted')
    for (const escaped of [
      'HOST-ROOT-LISTED',
      'REMOUNTED',
      'MOUNTED',
      'USR-WRITTEN',
      'USERNS-MADE',
      'MOUNTNS-MADE',
    ]) {
      expect(seen, escaped).not.toContain(escaped)
    }
  }, 60_000)

  it('reaches neither the keys file nor a file outside its run directory', async () => {
    const before = await readFile(keysFile, 'utf8')
    const seen = await runBash(
      [
        `cat ${canary}`,
        `echo '{"name":"evil","hash":"x","policy":{"admin":true}}' >> ${keysFile} && echo KEY-ADDED`,
        openByHandle(canary, keysFile),
        'echo tried',
      ].join('\n')
    )
    expect(seen).toContain('tried')
    expect(seen).not.toContain('HOST-CANARY')
    expect(seen).not.toContain('KEY-ADDED')
    expect(seen).not.toContain('APPENDED')
    expect(await readFile(keysFile, 'utf8')).toBe(before)
  }, 60_000)
})

/** Runs `command` while /health is asked every 50 ms: the tool result, and every answer seen. */
const runWhileWatching = async (command: string) => {
  const answers: Array<{ status: number; ms: number }> = []
  let watching = true
  const watch = (async () => {
    while (watching) {
      const started = performance.now()
      const res = await fetch(`${stack.url}/health`)
      answers.push({ status: res.status, ms: performance.now() - started })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  try {
    return { seen: await runBash(command), answers }
  } finally {
    watching = false
    await watch
  }
}

describe('a sandboxed command over a limit', () => {
  const expectServerFine = (answers: Array<{ status: number; ms: number }>) => {
    expect(answers.length).toBeGreaterThan(0)
    expect(answers.every((a) => a.status === 200)).toBe(true)
    // The bound: the server stays responsive while a sandbox hits its limits.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1_000)
  }

  it('a memory hog is stopped at its memory limit, which it is told', async () => {
    const { seen, answers } = await runWhileWatching(
      `perl -e '$x = "x" x (1500 * 1024 * 1024); print "ALLOCATED\\n"'`
    )
    expect(seen).not.toContain('ALLOCATED')
    expect(seen).toContain('Out of memory')
    expect(seen).toContain('[sandbox limits: memory 1024 MiB per process')
    expectServerFine(answers)
  }, 60_000)

  it('a fork storm is stopped at the process limit', async () => {
    const { seen, answers } = await runWhileWatching(
      `perl -e 'my $n = 0; for (1..400) { my $p = fork(); if (!defined $p) { print "FORK-REFUSED after $n\\n"; last } if ($p == 0) { sleep 2; exit 0 } $n++ } print "FORKED $n\\n"; 1 while wait() != -1'`
    )
    expect(seen).toContain('FORK-REFUSED')
    const forked = Number(/FORKED (\d+)/.exec(seen)?.[1])
    expect(forked).toBeGreaterThan(0)
    expect(forked).toBeLessThan(256)
    expectServerFine(answers)
  }, 60_000)

  it('a /dev/shm filler is stopped at its size; /dev and the root take nothing', async () => {
    const { seen, answers } = await runWhileWatching(
      [
        'dd if=/dev/zero of=/dev/shm/fill bs=1M count=300 2>&1 | grep -m1 -o "No space left on device"',
        'echo "shm=$(du -sm /dev/shm | cut -f1)"',
        'echo x > /dev/evil 2>/dev/null && echo DEV-WRITTEN',
        'for d in / /run /etc /usr; do echo x > "$d/evil" 2>/dev/null && echo "ROOT-WRITTEN $d"; done',
        'echo checked',
      ].join('; ')
    )
    expect(seen).toContain('checked')
    expect(seen).toContain('No space left on device')
    const used = Number(/shm=(\d+)/.exec(seen)?.[1])
    expect(used).toBeGreaterThan(0)
    expect(used).toBeLessThanOrEqual(64)
    expect(seen).not.toContain('DEV-WRITTEN')
    expect(seen).not.toContain('ROOT-WRITTEN')
    expectServerFine(answers)
  }, 60_000)
})

describe("a sandbox's processes together", () => {
  // As root where cgroup v1 hierarchies are writable (CI's machines), each sandbox has a cgroup.
  const cgroups =
    process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')
  let small: TestStack

  beforeAll(async () => {
    small = await startTestStack({
      allowedTools: ['Bash'],
      runnerOptions: { sandboxTotalMemoryMb: 768 },
    })
  })
  afterAll(async () => {
    await small?.close()
  })

  it('are bounded in memory: four 300 MB processes in a 768 MiB sandbox do not all live', async () => {
    const command = `perl -e 'for my $i (1..4) { next if fork(); my $x = "x" x (300 * 1024 * 1024); print "HELD $i\\n"; sleep 3; exit 0 } my $killed = 0; while ((my $pid = wait()) != -1) { $killed++ if ($? & 127) == 9 } print "KILLED $killed\\n"'`
    const seen = await runBashOn(small, command)
    const killed = Number(/KILLED (\d+)/.exec(seen)?.[1])
    if (cgroups) {
      // The kernel killed inside the sandbox, commands first: the CLI lived to report it.
      expect(killed).toBeGreaterThan(0)
    } else {
      // Without a cgroup only each process is bounded (1,024 MiB): all four live.
      expect(killed).toBe(0)
    }
    expect((await fetch(`${small.url}/health`)).status).toBe(200)
  }, 90_000)

  it('leave no cgroup behind once the server has stopped', async () => {
    // This process's runners' folders (the other stack of this file has one too).
    const own = (await readFile('/proc/self/cgroup', 'utf8')).match(/:memory:(.*)/)?.[1] ?? '/'
    const folders = async () =>
      (await readdir(join('/sys/fs/cgroup/memory', own)).catch(() => [] as string[])).filter(
        (name) => name.startsWith(`cca-sandboxes-${process.pid}-`)
      )
    const before = await folders()
    await small.close()
    const after = await folders()
    if (!cgroups) expect(before).toEqual([])
    else expect(after).toHaveLength(before.length - 1)
  })
})
