import { describe, expect, it } from 'vitest'
import { buildCliArgs } from '../../src/adapters/node/cli-protocol/args.js'
import { buildChildEnv } from '../../src/adapters/node/process/child-env.js'
import { resolveSettings, SERVER_DEFAULTS } from '../../src/adapters/node/settings.js'
import { ConfigError } from '../../src/errors/index.js'
import { loadConfig } from '../../src/runtime/node/config.js'

describe('CLI arguments', () => {
  it('turns tools off, loads no settings and keeps no session by default', () => {
    const args = buildCliArgs({ model: 'haiku', maxTurns: 1, persist: false })
    expect(args).toEqual(
      expect.arrayContaining([
        '-p',
        '--input-format=stream-json',
        '--output-format=stream-json',
        '--verbose',
        '--tools=',
        '--setting-sources=',
        '--strict-mcp-config',
        '--model=haiku',
        '--max-turns=1',
        '--no-session-persistence',
      ])
    )
    // Only the client's tools' server is allowed: the same for every run, so a process started
    // ahead serves runs with and without them.
    expect(args.filter((a) => a.startsWith('--allowedTools'))).toEqual([
      '--allowedTools=mcp__client',
    ])
    expect(args).toContain('--disable-slash-commands')
  })

  it('keeps the built-in /clear only for a process that may be reused', () => {
    const args = buildCliArgs({ model: 'haiku', persist: false, reusable: true })
    expect(args).not.toContain('--disable-slash-commands')
    expect(args).toContain('--setting-sources=')
  })

  it('writes every option as --flag=value', () => {
    const args = buildCliArgs({
      allowedTools: ['Read', 'Write', 'Bash'],
      disallowedTools: ['WebFetch'],
      maxBudgetUsd: 0.25,
      sessionId: '11111111-2222-4333-8444-555555555555',
      resume: true,
      persist: true,
    })
    expect(args).toEqual(
      expect.arrayContaining([
        '--restricted',
        '--tools=Read,Write,Bash',
        // No bare Read or Write rule: those would allow any path.
        '--allowedTools=Bash,Edit(./**),mcp__client',
        '--disallowedTools=WebFetch',
        '--max-budget-usd=0.25',
        '--resume=11111111-2222-4333-8444-555555555555',
      ])
    )
    expect(args).not.toContain('--no-session-persistence')
    for (const arg of args.slice(1)) expect(arg.startsWith('--')).toBe(true)
  })

  it('passes effort and thinking as flags', () => {
    const args = buildCliArgs({ persist: false, effort: 'high', thinking: 'summarized' })
    expect(args).toEqual(
      expect.arrayContaining([
        '--effort=high',
        '--thinking=enabled',
        '--thinking-display=summarized',
      ])
    )
  })
})

describe('child environment', () => {
  const base = {
    PATH: '/bin',
    ANTHROPIC_API_KEY: 'sk-secret',
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
    CLAUDE_CODE_OAUTH_TOKEN: 'oauth',
    ANTHROPIC_AUTH_TOKEN: 'tok',
    CLAUDECODE: '1',
    NODE_OPTIONS: '--inspect',
    API_KEY_HASHES: 'abc',
    RUNNER_TOKEN: 'r',
  }

  it('removes the API key, CLAUDECODE and our own secrets; bounds retries and timeouts', () => {
    const env = buildChildEnv(base)
    expect(env.ANTHROPIC_API_KEY).toBeUndefined()
    expect(env.CLAUDECODE).toBeUndefined()
    expect(env.NODE_OPTIONS).toBeUndefined()
    expect(env.API_KEY_HASHES).toBeUndefined()
    expect(env.RUNNER_TOKEN).toBeUndefined()
    expect(env).toMatchObject({
      PATH: '/bin',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
      CLAUDE_CODE_OAUTH_TOKEN: 'oauth',
      ANTHROPIC_AUTH_TOKEN: 'tok',
      CLAUDE_CODE_MAX_RETRIES: '2',
      API_TIMEOUT_MS: '120000',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    })
  })

  it("passes only an allow-list: the server's other secrets never reach the CLI or its tools", () => {
    const env = buildChildEnv({
      ...base,
      AWS_SECRET_ACCESS_KEY: 'aws-secret',
      GITHUB_TOKEN: 'gh',
      SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/0/bus',
      DATABASE_URL: 'postgres://secret',
      LC_ALL: 'C.UTF-8',
      CLAUDE_CONFIG_DIR: '/home/cca/.claude',
      CLAUDE_ALLOWED_TOOLS: 'Bash',
    })
    for (const name of [
      'AWS_SECRET_ACCESS_KEY',
      'GITHUB_TOKEN',
      'SSH_AUTH_SOCK',
      'DBUS_SESSION_BUS_ADDRESS',
      'DATABASE_URL',
      'CLAUDE_ALLOWED_TOOLS',
    ]) {
      expect(env[name], name).toBeUndefined()
    }
    expect(env).toMatchObject({ LC_ALL: 'C.UTF-8', CLAUDE_CONFIG_DIR: '/home/cca/.claude' })
    // The operator may pass more by name (Bedrock's region, say).
    expect(buildChildEnv({ AWS_REGION: 'eu-west-1' }, { passEnv: ['AWS_REGION'] }).AWS_REGION).toBe(
      'eu-west-1'
    )
  })

  it('keeps the API key when the operator opts in, and honours their retry settings', () => {
    const env = buildChildEnv(
      { ...base, CLAUDE_CODE_MAX_RETRIES: '5', API_TIMEOUT_MS: '9000' },
      { allowApiKey: true }
    )
    expect(env.ANTHROPIC_API_KEY).toBe('sk-secret')
    expect(env.CLAUDE_CODE_MAX_RETRIES).toBe('5')
    expect(env.API_TIMEOUT_MS).toBe('9000')
  })
})

describe('runner settings', () => {
  it('hold their defaults in one schema; only the server starts processes ahead', () => {
    expect(resolveSettings({})).toMatchObject({
      warmProcesses: 0,
      maxQueue: 32,
      toolWaitMs: 300_000,
    })
    expect(loadConfig({}).warmProcesses).toBe(SERVER_DEFAULTS.warmProcesses)
    expect(resolveSettings({ timeoutMs: 1_000_000 }).maxTimeoutMs).toBe(1_000_000)
  })

  it('refuse a bad value from a library caller as a ConfigError naming it', () => {
    expect(() => resolveSettings({ maxQueue: -1 })).toThrow(ConfigError)
    expect(() => resolveSettings({ maxQueue: -1 })).toThrow(/maxQueue/)
  })
})
