/**
 * What a key allowed Bash can reach, tried as an attacker would (real CLI, real bubblewrap, the
 * mock model running the attacker's command): the server's home, environment, /tmp and UNIX
 * sockets, a loopback listener and the server's own port. Before the sandbox had a root and a
 * network of its own, one command printed all of them.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createServer as createNetServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import {
  lastUserMessage,
  type MockHandler,
  toolResultsOf,
} from '../../dev-tools/mock-anthropic/server.js'
import { resolveClaudeBinary } from '../../src/adapters/node/process/binary.js'
import { createNodeRunner } from '../../src/adapters/node/runner.js'
import type { RunEvent } from '../../src/contract/runner.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let key: string
let other: string
let listenerHits = 0
const listener = createHttpServer((_req, res) => {
  listenerHits++
  res.end('LISTENER-ANSWERED')
})
/** Connections of any kind (WebFetch upgrades http:// to https://, so it speaks TLS to it). */
let listenerConnections = 0
listener.on('connection', () => listenerConnections++)
const socketServer = createNetServer((socket) => socket.end('SOCKET-ANSWERED'))

beforeAll(async () => {
  other = await tempDir('other-run')
  const keysFile = join(other, 'keys')
  key = (await createKey(keysFile, { name: 'bash', policy: { tools: ['Bash', 'WebFetch'] } })).key
  stack = await startTestStack({
    keysFile,
    allowedTools: ['Bash', 'WebFetch'],
    cliEnv: { AWS_SECRET_ACCESS_KEY: 'AWS-CANARY' },
  })
  await mkdir(join(stack.home, '.ssh'), { recursive: true })
  await writeFile(join(stack.home, '.ssh', 'id_canary'), 'SSH-CANARY')
  await writeFile(join(other, 'secret.txt'), 'TMP-CANARY')
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  await new Promise<void>((resolve) => socketServer.listen(join(other, 'agent.sock'), resolve))
})
afterAll(async () => {
  listener.close()
  socketServer.close()
  await stack?.close()
  await removeDir(other)
})

/** A mock model that calls a built-in tool once, then answers "done". */
const callsOnce =
  (name: string, input: unknown): MockHandler =>
  (request) =>
    toolResultsOf(request.body).length > 0
      ? { kind: 'text', text: 'done' }
      : { kind: 'tool', name, input }
/** A mock model that runs `command` with Bash once, then answers "done". */
const runsOnce = (command: string) => callsOnce('Bash', { command, description: 'look around' })

const toolResult = () =>
  JSON.stringify(
    stack.mock
      .messageRequests()
      .flatMap((r) => {
        const content = lastUserMessage(r.body)?.content
        return Array.isArray(content) ? content : []
      })
      .filter((block) => block?.type === 'tool_result')
  )

describe('a command run by Bash', () => {
  it("sees nothing of the server's home, environment, /tmp or sockets, and reaches no listener", async () => {
    const port = (listener.address() as AddressInfo).port
    const command = [
      `cat ${join(stack.home, '.ssh', 'id_canary')}`,
      'echo "env=$AWS_SECRET_ACCESS_KEY"',
      `cat ${join(other, 'secret.txt')}`,
      `curl -sf -m 5 http://127.0.0.1:${port}/ && echo LOOPBACK-REACHED`,
      `curl -sf -m 5 ${stack.url}/health && echo SERVER-REACHED`,
      `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo TCP-REACHED`,
      `socat -u OPEN:/dev/null UNIX-CONNECT:${join(other, 'agent.sock')} 2>/dev/null && echo SOCKET-REACHED`,
      'ls /run /var/run 2>&1 | grep -E "docker|dbus|user" && echo HOST-RUN-SEEN',
      'echo done-looking',
    ].join('; ')
    stack.mock.reset()
    stack.mock.setHandler(runsOnce(command))
    const res = await stack.post(
      '/llm/query',
      { prompt: 'look around', allowed_tools: ['Bash'], max_turns: 3 },
      { headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }
    )
    // The CLI itself reached the API (through the sandbox's one way out), and the command ran.
    expect(res.status).toBe(200)
    const seen = toolResult()
    expect(seen).toContain('done-looking')
    for (const leak of [
      'SSH-CANARY',
      'AWS-CANARY',
      'TMP-CANARY',
      'LISTENER-ANSWERED',
      'LOOPBACK-REACHED',
      'SERVER-REACHED',
      'TCP-REACHED',
      'SOCKET-REACHED',
      'HOST-RUN-SEEN',
    ]) {
      expect(seen, leak).not.toContain(leak)
    }
    expect(listenerHits).toBe(0)
  }, 60_000)
})

describe("a CLI installed behind a link (npm's .bin, a global install on PATH)", () => {
  // Only the CLI's install directory is in the sandbox: the link itself led nowhere (a 502).
  it('still runs sandboxed commands', async () => {
    const linkDir = await tempDir('cli-link')
    const link = join(linkDir, 'claude')
    await symlink(resolveClaudeBinary(process.env)?.path as string, link)
    const linked = await startTestStack({
      allowedTools: ['Bash'],
      runnerOptions: { binary: link },
    })
    try {
      linked.mock.setHandler(runsOnce('echo RAN-IN-SANDBOX'))
      const res = await linked.post('/llm/query', {
        prompt: 'run it',
        allowed_tools: ['Bash'],
        max_turns: 3,
      })
      expect(res.status).toBe(200)
      const results = linked.mock.messageRequests().flatMap((r) => toolResultsOf(r.body))
      expect(JSON.stringify(results)).toContain('RAN-IN-SANDBOX')
    } finally {
      await linked.close()
      await removeDir(linkDir)
    }
  }, 60_000)
})

describe("a throwaway run's directory", () => {
  it('is capped: a command cannot fill the server’s disk from it', async () => {
    stack.mock.reset()
    stack.mock.setHandler(
      runsOnce('head -c 300000000 /dev/zero > big.bin 2>&1; echo "size=$(stat -c %s big.bin)"')
    )
    const res = await stack.post(
      '/llm/query',
      { prompt: 'fill it', allowed_tools: ['Bash'], max_turns: 3 },
      { headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }
    )
    expect(res.status).toBe(200)
    // 300 MB asked for, the directory's cap written at most.
    const size = Number(/size=(\d+)/.exec(toolResult())?.[1])
    expect(size).toBeGreaterThan(0)
    expect(size).toBeLessThanOrEqual(256 * 1024 * 1024)
  }, 60_000)
})

describe('a kept session that Bash used', () => {
  it('resumes only inside the sandbox, so links Bash planted lead nowhere', async () => {
    const canary = join(other, 'canary.txt')
    await writeFile(canary, 'SYMLINK-CANARY\n')
    const asKey = {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    }
    // Links to a file of the server's: the session's transcript replaced by one, and a memory
    // file. This settles what 2.1.330 does with them: the resume fails on the broken transcript
    // (502) inside the sandbox and out, and nothing of the file is read or written either way.
    // Resuming in the sandbox keeps it so for a CLI that would follow them.
    const plant = `ln -s ${canary} CLAUDE.md; for f in "$CLAUDE_CONFIG_DIR"/projects/*/*.jsonl; do ln -sf ${canary} "$f"; done; echo planted`
    stack.mock.reset()
    stack.mock.setHandler(runsOnce(plant))
    const kept = await stack.post(
      '/llm/query',
      { prompt: 'plant', allowed_tools: ['Bash'], max_turns: 3, persist_session: true },
      asKey
    )
    expect(kept.status).toBe(200)
    expect(toolResult()).toContain('planted')
    const sessionId = (await kept.json()).session_id as string

    // Resumed without Bash: outside the sandbox the CLI would read the link and append to it.
    stack.mock.reset()
    const resumed = await stack.post(
      '/llm/query',
      { prompt: 'again', session_id: sessionId },
      asKey
    )
    expect(await readFile(canary, 'utf8')).toBe('SYMLINK-CANARY\n')
    expect(JSON.stringify(stack.mock.messageRequests())).not.toContain('SYMLINK-CANARY')
    // Whatever became of the attacker's own session, it answered (a status, not a hang).
    expect(resumed.status).toBeGreaterThanOrEqual(200)
  }, 60_000)
})

describe('WebFetch', () => {
  // Offline, the CLI's own domain preflight (a call to claude.ai) would refuse every fetch before
  // it is made, so these servers turn it off (CLAUDE_WEBFETCH_PREFLIGHT=off): the fetch is then
  // really tried, and only the sandbox's proxy stands between it and the server's loopback.
  const fetchOnce = (url: string) => callsOnce('WebFetch', { url, prompt: 'what does it say?' })
  const fetchThrough = async (egress: string[]) => {
    const port = (listener.address() as AddressInfo).port
    const web = await startTestStack({
      allowedTools: ['WebFetch'],
      webFetchPreflight: false,
      runnerOptions: { sandboxEgress: egress },
    })
    try {
      web.mock.setHandler(fetchOnce(`http://127.0.0.1:${port}/metadata`))
      const before = listenerConnections
      const res = await web.post('/llm/query', {
        prompt: 'fetch it',
        allowed_tools: ['WebFetch'],
        max_turns: 3,
      })
      expect(res.status).toBe(200)
      return listenerConnections - before
    } finally {
      await web.close()
    }
  }

  it("runs in the sandbox, where the server's loopback is out of reach", async () => {
    expect(await fetchThrough([])).toBe(0)
  }, 60_000)

  // This one also hung the server's close before CONNECT tunnels were closed with the proxy.
  it('does reach a loopback listener the operator lets through (so the test above can fail)', async () => {
    const port = (listener.address() as AddressInfo).port
    expect(await fetchThrough([`127.0.0.1:${port}`])).toBeGreaterThan(0)
  }, 60_000)
})

describe('a run with an output token cap, in the sandbox', () => {
  // Its model calls go out through the server's model relay (on the server's loopback),
  // which the sandbox's one way out lets through once the relay listens, and nothing else there.
  it('reaches the API through the relay, and makes no call past the cap', async () => {
    const home = await tempDir('capped-sandbox')
    const runner = createNodeRunner({
      env: cliEnv(home, stack.mock.url),
      workDir: join(home, 'work'),
      allowedTools: ['Bash'],
      killGraceMs: 1_000,
    })
    try {
      stack.mock.reset()
      stack.mock.setHandler(() => ({
        kind: 'text',
        text: 'one two three four five six seven',
        chunks: 3,
      }))
      const events: RunEvent[] = []
      for await (const event of runner.run({
        prompt: 'count',
        allowedTools: ['Bash'],
        maxOutputTokens: 3,
      })) {
        events.push(event)
      }
      const result = events.find((e) => e.type === 'result')
      expect(result?.type === 'result' && result.result.stopReason).toBe('max_tokens')
      expect(stack.mock.messageRequests().map((r) => r.body.max_tokens)).toEqual([3])
    } finally {
      await runner.close()
      await removeDir(home)
    }
  }, 60_000)
})
