/**
 * The `claude-code-api` command as real child processes: exit codes, output, the keys file,
 * status and chat on the real CLI against the mock Messages API.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, TESTED_CLI, tempDir } from '../../dev-tools/cli-env.js'
import { lastUserMessage, userText } from '../../dev-tools/mock-anthropic/server.js'
import { hashKey } from '../../src/auth/keys.js'
import { readKeyRecords } from '../../src/runtime/node/keys.js'
import { runCli, startCli } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let dir: string
let keysFile: string
beforeAll(async () => {
  dir = await tempDir('cli')
  keysFile = join(dir, '.api-keys')
})
afterAll(() => removeDir(dir))

const keyIn = (stdout: string) => /cca_[0-9a-f]{32}/.exec(stdout)?.[0] ?? ''

describe('help and usage errors', () => {
  it.each([
    [['--help']],
    [['serve', '--help']],
    [['runner', '--help']],
    [['keys', '--help']],
    [['keys', 'create', '--help']],
    [['status', '--help']],
    [['chat', '--help']],
  ])('%j prints help and exits 0', async (args) => {
    const run = await runCli(args)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Usage:/)
  })

  it.each([
    [['frobnicate'], /unknown command/],
    [['serve', '--bogus'], /Unknown option/],
    [['keys'], /needs an action/],
    [['keys', 'destroy'], /unknown keys action/],
    [['keys', 'revoke'], /takes one HASH_PREFIX/],
    [['keys', 'create', '--max-concurrent', 'lots'], /whole number/],
    [['chat', '--key', 'cca_x'], /--key goes with --url/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const run = await runCli(args, { env: { API_KEYS_FILE: keysFile } })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
  })

  it('runner refuses a public address without a token (exit 2, says which variable)', async () => {
    const run = await runCli(['runner', '--host', '0.0.0.0', '--port', '0'], {
      env: { LOG_LEVEL: 'silent' },
    })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/RUNNER_TOKEN/)
  })

  it('serve refuses a public address without keys (exit 2, says how to make one)', async () => {
    const run = await runCli(
      ['serve', '--host', '0.0.0.0', '--port', '0', '--keys-file', join(dir, 'none')],
      {
        env: { LOG_LEVEL: 'silent' },
      }
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/keys create/)
  })
})

describe('serve and runner as child processes', () => {
  it('serve listens, answers, and exits 0 on SIGTERM', async () => {
    const server = await startCli(['serve', '--port', '0', '--keys-file', join(dir, 'serve-keys')])
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await (await fetch(`${server.url}/health`)).json()).toMatchObject({ status: 'ok' })
    expect(await server.stop()).toBe(0)
  })

  it('runner listens, checks its token, and exits 0 on SIGTERM', async () => {
    const runner = await startCli(['runner', '--port', '0'], { RUNNER_TOKEN: 'tok-123' })
    const health = (token: string) =>
      fetch(`${runner.url}/runner/v1/health`, { headers: { authorization: `Bearer ${token}` } })
    expect((await health('wrong')).status).toBe(401)
    expect(await (await health('tok-123')).json()).toMatchObject({ protocol: 1, status: 'ok' })
    expect(await runner.stop()).toBe(0)
  })
})

describe('keys', () => {
  it('create, list, rotate and revoke', async () => {
    const env = { API_KEYS_FILE: keysFile }
    const created = await runCli(
      [
        'keys',
        'create',
        '--name',
        'ci',
        '--models',
        'haiku,sonnet',
        '--max-concurrent',
        '2',
        '--daily-usd',
        '1.5',
        '--allow-overage',
      ],
      { env }
    )
    expect(created.code).toBe(0)
    const key = keyIn(created.stdout)
    expect(key).toMatch(/^cca_[0-9a-f]{32}$/)
    const hash = await hashKey(key)
    expect(created.stdout).toContain(`Hash: ${hash.slice(0, 8)}`)

    const listed = await runCli(['keys', 'list', '--keys-file', keysFile])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(
      new RegExp(
        `${hash.slice(0, 8)}\\s+ci\\s+.*models=haiku,sonnet max-concurrent=2 daily-usd=1.5 allow-overage`
      )
    )
    expect(listed.stdout).not.toContain(key)

    const rotated = await runCli(['keys', 'rotate', hash.slice(0, 10)], { env })
    expect(rotated.code).toBe(0)
    const next = keyIn(rotated.stdout)
    expect(next).not.toBe(key)
    const { records } = await readKeyRecords(keysFile)
    expect(records).toEqual([
      expect.objectContaining({
        hash: await hashKey(next),
        name: 'ci',
        policy: {
          models: ['haiku', 'sonnet'],
          max_concurrent: 2,
          daily_usd: 1.5,
          allow_overage: true,
        },
      }),
    ])

    const missing = await runCli(['keys', 'revoke', hash.slice(0, 10)], { env })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/No key hash starts with/)

    const revoked = await runCli(['keys', 'revoke', (await hashKey(next)).slice(0, 8)], { env })
    expect(revoked.code).toBe(0)
    expect((await readKeyRecords(keysFile)).records).toEqual([])
  })

  it('concurrent create commands lose no key', async () => {
    const file = join(dir, 'concurrent-keys')
    const runs = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        runCli(['keys', 'create', '--name', `p${i}`, '--keys-file', file])
      )
    )
    expect(runs.map((r) => r.code)).toEqual(Array(8).fill(0))
    const { records } = await readKeyRecords(file)
    expect(records.map((r) => r.name).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `p${i}`).sort()
    )
  })
})

describe('status and chat on the real CLI', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack()
  })
  afterAll(() => stack?.close())

  it('status reports the version and login, exit 0', async () => {
    const run = await runCli(['status'], { env: cliEnv(stack.home, stack.mock.url) })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      `Claude Code CLI: ${TESTED_CLI.version} (Claude Code) (${TESTED_CLI.source}: `
    )
    expect(run.stdout).toMatch(/Logged in: yes/)
  })

  it('status says not logged in, exit 1', async () => {
    const run = await runCli(['status', '--json'], { env: cliEnv(stack.home, undefined) })
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stdout)).toMatchObject({ available: true, logged_in: false })
  })

  it('chat streams answers and keeps the conversation across turns (local CLI)', async () => {
    stack.mock.reset()
    const run = await runCli(['chat'], {
      env: cliEnv(stack.home, stack.mock.url),
      input: 'My name is Ada.\nWhat is my name?\n',
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('ECHO: My name is Ada.\nECHO: What is my name?\n')
    const second = stack.mock.messageRequests().at(-1)?.body
    const turns = (second?.messages ?? [])
      .filter((m) => m.role !== 'system')
      .map((m) => userText(m))
    expect(turns).toEqual(['My name is Ada.', 'ECHO: My name is Ada.', 'What is my name?'])
    expect(userText(lastUserMessage(second ?? {}))).toBe('What is my name?')
  })

  it('chat works against a remote server with a key', async () => {
    const keysFile = join(dir, 'remote-keys')
    const { key } = await (await import('../../src/runtime/node/keys.js')).createKey(keysFile, {
      name: 'remote',
    })
    const remote = await startTestStack({ keysFile })
    try {
      const denied = await runCli(
        ['chat', '--url', remote.url, '--key', 'cca_00000000000000000000000000000000'],
        {
          input: 'hello\n',
        }
      )
      expect(denied.stderr).toMatch(/Invalid API key/)
      const run = await runCli(['chat', '--url', remote.url, '--key', key], {
        input: 'first\nsecond\n',
      })
      expect(run.code).toBe(0)
      expect(run.stdout).toBe('ECHO: first\nECHO: second\n')
      const turns = (remote.mock.messageRequests().at(-1)?.body.messages ?? [])
        .filter((m) => m.role !== 'system')
        .map((m) => userText(m))
      expect(turns).toEqual(['first', 'ECHO: first', 'second'])
    } finally {
      await remote.close()
    }
  })
})
