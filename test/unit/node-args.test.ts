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

describe('server configuration', () => {
  it('defaults to loopback on 7742 with tools off', () => {
    expect(loadConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 7742,
      allowedTools: [],
      allowApiKey: false,
      maxQueue: 32,
      warmProcesses: 2,
      reuseProcesses: true,
      runsPerProcess: 20,
      maxProcessRssMb: 400,
      keysFile: '.api-keys',
      authDisabled: false,
    })
  })

  it('reads every variable', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '8080',
      LOG_LEVEL: 'debug',
      CLAUDE_ALLOWED_TOOLS: 'Read, Grep',
      CLAUDE_PASS_ENV: 'AWS_REGION, AWS_PROFILE',
      CLAUDE_SANDBOX_EGRESS: 'pypi.org:443',
      CLAUDE_MAX_CONCURRENCY: '3',
      CLAUDE_MAX_QUEUE: '0',
      CLAUDE_TIMEOUT_MS: '60000',
      CLAUDE_MAX_TIMEOUT_MS: '120000',
      CLAUDE_ALLOW_API_KEY: 'true',
      CLAUDE_WORK_DIR: '/var/lib/cca',
      MAX_BODY_BYTES: '4096',
      CLAUDE_SESSION_TTL_HOURS: '24',
      CLAUDE_WARM_PROCESSES: '3',
      CLAUDE_WARM_IDLE_MS: '5000',
      CLAUDE_PROCESS_REUSE: 'off',
      CLAUDE_RUNS_PER_PROCESS: '7',
      CLAUDE_PROCESS_MAX_RSS_MB: '256',
      CLAUDE_HELD_CONVERSATIONS: '6',
      CLAUDE_HELD_CONVERSATION_MS: '90000',
      CLAUDE_TOOL_WAIT_MS: '60000',
      CLAUDE_MAX_SESSIONS_PER_KEY: '5',
      CLAUDE_MAX_SESSION_MB: '64',
      CLAUDE_WEBFETCH_PREFLIGHT: 'off',
      CLAUDE_SANDBOX_UID: '900000',
      CLAUDE_SANDBOX_GID: '900100',
      CLAUDE_SANDBOX_MEMORY_MB: '512',
      CLAUDE_SANDBOX_PROCESSES: '64',
      CLAUDE_SANDBOX_TOTAL_MEMORY_MB: '768',
      CLAUDE_SANDBOX_CPU_SECONDS: '30',
      CLAUDE_SANDBOX_FILE_MB: '16',
      CLAUDE_SANDBOX_TMP_MB: '32',
      CLAUDE_SANDBOX_SHM_MB: '8',
      SHUTDOWN_GRACE_MS: '2500',
      SSE_HEARTBEAT_MS: '5000',
      API_KEYS_FILE: '/etc/cca/keys',
      API_KEY_HASHES: 'abc',
      API_AUTH_DISABLED: 'yes',
      CORS_ORIGINS: 'https://chat.example.com',
      USAGE_DB: '/var/lib/cca/usage.db',
      RUNNER_URLS: 'http://10.0.0.5:7743, https://runner.example.com',
      RUNNER_TOKEN: 'tok',
      CLAUDE_LOGINS_FILE: '/etc/cca/logins',
      CLAUDE_LOGINS_SECRET: 'a-secret-of-at-least-32-characters!',
      CLAUDE_LOGINS_SECRET_FILE: '/run/secrets/logins',
      CLAUDE_SELF_SERVICE_LOGINS: '1',
    })
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'debug',
      allowedTools: ['Read', 'Grep'],
      passEnv: ['AWS_REGION', 'AWS_PROFILE'],
      sandboxEgress: ['pypi.org:443'],
      maxConcurrency: 3,
      maxQueue: 0,
      timeoutMs: 60_000,
      maxTimeoutMs: 120_000,
      allowApiKey: true,
      workDir: '/var/lib/cca',
      maxBodyBytes: 4096,
      sessionTtlMs: 24 * 3600_000,
      warmProcesses: 3,
      warmIdleMs: 5000,
      reuseProcesses: false,
      runsPerProcess: 7,
      maxProcessRssMb: 256,
      heldConversations: 6,
      heldConversationsPerKey: 2,
      heldConversationMs: 90_000,
      toolWaitMs: 60_000,
      maxSessionsPerKey: 5,
      maxSessionMb: 64,
      webFetchPreflight: false,
      sandboxUid: 900_000,
      sandboxGid: 900_100,
      sandboxMemoryMb: 512,
      sandboxProcesses: 64,
      sandboxTotalMemoryMb: 768,
      sandboxCpuSeconds: 30,
      sandboxFileMb: 16,
      sandboxTmpMb: 32,
      sandboxShmMb: 8,
      // Settings the environment does not set keep their schema's defaults.
      killGraceMs: 3000,
      maxParkedRuns: 16,
      maxParkedRunsPerKey: 4,
      maxParkedRssMb: 3_200,
      quotaProbeMs: 60_000,
      shutdownGraceMs: 2500,
      heartbeatMs: 5000,
      keysFile: '/etc/cca/keys',
      apiKeyHashes: 'abc',
      authDisabled: true,
      corsOrigins: ['https://chat.example.com'],
      usageDb: '/var/lib/cca/usage.db',
      runnerUrls: ['http://10.0.0.5:7743', 'https://runner.example.com'],
      runnerToken: 'tok',
      loginsFile: '/etc/cca/logins',
      loginsSecret: 'a-secret-of-at-least-32-characters!',
      loginsSecretFile: '/run/secrets/logins',
      selfServiceLogins: true,
    })
  })

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ CLAUDE_MAX_CONCURRENCY: '0' }, /CLAUDE_MAX_CONCURRENCY/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ CLAUDE_ALLOWED_TOOLS: 'Bash(rm *)' }, /CLAUDE_ALLOWED_TOOLS/],
    [{ CLAUDE_PASS_ENV: 'A-B' }, /CLAUDE_PASS_ENV/],
    [{ CLAUDE_SANDBOX_EGRESS: 'http://x' }, /CLAUDE_SANDBOX_EGRESS/],
    [{ CLAUDE_PROCESS_REUSE: 'maybe' }, /CLAUDE_PROCESS_REUSE must be on or off/],
    [{ CLAUDE_RUNS_PER_PROCESS: '0' }, /CLAUDE_RUNS_PER_PROCESS/],
    [{ CLAUDE_SANDBOX_UID: '0' }, /CLAUDE_SANDBOX_UID/],
    [{ RUNNER_URLS: 'runner-a:7743' }, /RUNNER_URLS must list http\(s\) URLs/],
    [
      { CLAUDE_SESSION_TTL_HOURS: '0' },
      /CLAUDE_SESSION_TTL_HOURS must be a whole number of at least 1/,
    ],
    [{ CLAUDE_MAX_QUEUE: '1.5' }, /CLAUDE_MAX_QUEUE must be a whole number/],
    [{ CLAUDE_ALLOW_API_KEY: 'perhaps' }, /CLAUDE_ALLOW_API_KEY must be on or off/],
  ])('names the bad variable in %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
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
