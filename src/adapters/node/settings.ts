/**
 * The Node runner's settings: one schema that holds every default and names the environment
 * variable the server reads each from (runtime/node/config.ts). One default rightly differs by
 * entry point, and is said here: a library's runner starts no CLI process unasked, the server
 * starts two ahead (`SERVER_DEFAULTS`).
 */
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import * as v from 'valibot'
import { ConfigError } from '../../errors/index.js'
import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/logger.js'
import type { Tracing } from '../../tracing/tracing.js'
import type { LoginTokens } from './pool/login-env.js'
import type { WarmShape } from './pool/shape.js'
import type { OtlpTargets } from './process/telemetry-relay.js'

/** Where the server reads a setting from; `scale` turns the variable's unit into the setting's. */
export type EnvSource = { env: string; scale?: number }

const whole = (min: number, fallback: number | (() => number), doc: string, env?: EnvSource) =>
  v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(min), v.description(doc), v.metadata(env ?? {})),
    fallback
  )

const onOff = (fallback: boolean, doc: string, env?: EnvSource) =>
  v.optional(v.pipe(v.boolean(), v.description(doc), v.metadata(env ?? {})), fallback)

export const RunnerSettings = v.object({
  maxConcurrency: whole(
    1,
    () => Math.max(2, availableParallelism() * 2),
    'Concurrent CLI processes; default twice the CPU count, at least 2.',
    { env: 'CLAUDE_MAX_CONCURRENCY' }
  ),
  maxRunningPerKey: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.description(
        "Slots one API key may hold at once, so another key's run always finds one; default one less than maxConcurrency (at least 1). Runs without a key may use every slot."
      ),
      v.metadata({ env: 'CLAUDE_MAX_RUNNING_PER_KEY' })
    )
  ),
  maxQueue: whole(0, 32, 'Runs that may wait for a slot; beyond that, 429 queue_full.', {
    env: 'CLAUDE_MAX_QUEUE',
  }),
  timeoutMs: whole(1, 300_000, 'Deadline of a run (queueing included) when it sets none.', {
    env: 'CLAUDE_TIMEOUT_MS',
  }),
  maxTimeoutMs: whole(1, 900_000, "Upper bound for a request's own deadline.", {
    env: 'CLAUDE_MAX_TIMEOUT_MS',
  }),
  killGraceMs: whole(0, 3_000, 'Between SIGTERM and SIGKILL when a CLI process is stopped.'),
  allowApiKey: onOff(false, 'Let ANTHROPIC_API_KEY through to the CLI (default: removed).', {
    env: 'CLAUDE_ALLOW_API_KEY',
  }),
  warmProcesses: whole(
    0,
    0,
    'CLI processes started ahead of demand (pool/warm-pool.ts); the server starts 2.',
    { env: 'CLAUDE_WARM_PROCESSES' }
  ),
  warmIdleMs: whole(1, 600_000, 'A process started ahead and unused this long is stopped.', {
    env: 'CLAUDE_WARM_IDLE_MS',
  }),
  webFetchPreflight: onOff(
    true,
    "Let WebFetch ask claude.ai whether a domain is blocked before fetching (the CLI's preflight); off for networks that cannot reach it.",
    { env: 'CLAUDE_WEBFETCH_PREFLIGHT' }
  ),
  reuseProcesses: onOff(
    true,
    "Let a process that served a run serve its key's next run after /clear (pool/tenant.ts).",
    { env: 'CLAUDE_PROCESS_REUSE' }
  ),
  runsPerProcess: whole(1, 20, 'Runs one process serves at most; 1 is no reuse.', {
    env: 'CLAUDE_RUNS_PER_PROCESS',
  }),
  maxProcessRssMb: whole(64, 400, 'A process above this resident memory after a run is retired.', {
    env: 'CLAUDE_PROCESS_MAX_RSS_MB',
  }),
  heldConversations: whole(
    0,
    0,
    'Conversations kept in the process that answered them, for their next turn (pool/held-conversations.ts); 0 is none.',
    { env: 'CLAUDE_HELD_CONVERSATIONS' }
  ),
  heldConversationsPerKey: whole(1, 2, 'Of those, conversations of one key.'),
  heldConversationMs: whole(1, 300_000, 'How long a held conversation waits for its next turn.', {
    env: 'CLAUDE_HELD_CONVERSATION_MS',
  }),
  sessionTtlMs: whole(1, 7 * 24 * 3600_000, 'A kept session unused this long is removed.', {
    env: 'CLAUDE_SESSION_TTL_HOURS',
    scale: 3600_000,
  }),
  maxSessionsPerKey: whole(1, 50, 'Kept sessions per key; the least recently used go first.', {
    env: 'CLAUDE_MAX_SESSIONS_PER_KEY',
  }),
  maxSessionMb: whole(
    1,
    512,
    'Disk a kept session may hold (its folder and transcript); one grown past it is removed on its next resume.',
    { env: 'CLAUDE_MAX_SESSION_MB' }
  ),
  toolWaitMs: whole(1, 300_000, "How long a run waits for the client's tool results.", {
    env: 'CLAUDE_TOOL_WAIT_MS',
  }),
  maxParkedRuns: whole(1, 16, 'Runs that may wait for tool results at once (each holds a CLI).'),
  maxParkedRunsPerKey: whole(1, 4, 'Of those, runs of one key.'),
  maxParkedRssMb: whole(
    16,
    3_200,
    'Resident memory the processes of waiting runs may hold together; the oldest stop first beyond it.',
    { env: 'CLAUDE_MAX_PARKED_RSS_MB' }
  ),
  sandboxUid: whole(
    1,
    800_000,
    'When the server runs as root: the first of the host users sandboxes run as (one per sandbox at once, as many as maxConcurrency + maxParkedRuns); pick a range no account uses.',
    { env: 'CLAUDE_SANDBOX_UID' }
  ),
  sandboxGid: whole(1, 800_000, 'The first of their groups.', { env: 'CLAUDE_SANDBOX_GID' }),
  sandboxMemoryMb: whole(16, 1024, 'Memory (address space) of one sandboxed process.', {
    env: 'CLAUDE_SANDBOX_MEMORY_MB',
  }),
  sandboxTotalMemoryMb: whole(
    64,
    2_048,
    "Memory one sandbox's processes hold together, the CLI's and tmpfs pages included (a cgroup, where the server can make one).",
    { env: 'CLAUDE_SANDBOX_TOTAL_MEMORY_MB' }
  ),
  sandboxProcesses: whole(
    16,
    256,
    "Processes and threads in one sandbox at once, the CLI's own included.",
    { env: 'CLAUDE_SANDBOX_PROCESSES' }
  ),
  sandboxCpuSeconds: whole(1, 120, 'CPU time of one sandboxed command process.', {
    env: 'CLAUDE_SANDBOX_CPU_SECONDS',
  }),
  sandboxFileMb: whole(1, 256, 'Size of one file a sandboxed command writes.', {
    env: 'CLAUDE_SANDBOX_FILE_MB',
  }),
  sandboxTmpMb: whole(1, 256, "A sandbox's /tmp, and a throwaway run's directory in it (each).", {
    env: 'CLAUDE_SANDBOX_TMP_MB',
  }),
  sandboxShmMb: whole(1, 64, "A sandbox's /dev/shm.", { env: 'CLAUDE_SANDBOX_SHM_MB' }),
  quotaProbeMs: whole(
    1,
    60_000,
    "While the login's quota is used up, one run is let through this often."
  ),
})

export type RunnerSettingsInput = v.InferInput<typeof RunnerSettings>
export type RunnerSettingsOutput = v.InferOutput<typeof RunnerSettings>

/**
 * Where the server's defaults differ from a library's: a script's runner keeps no process
 * waiting, which would keep the script from exiting.
 */
export const SERVER_DEFAULTS: Partial<RunnerSettingsOutput> = {
  warmProcesses: 2,
  heldConversations: 4,
}

/** Everything a Node runner takes: the settings above, and what only code can pass. */
export type NodeRunnerOptions = RunnerSettingsInput & {
  /** Path to the CLI; default CLAUDE_BIN, the pinned dependency, or `claude` on PATH. */
  binary?: string
  /** The logins keys may run on, by name (the server's sealed store); none: only the server's. */
  logins?: LoginTokens
  /** The environment the child's is built from; default `process.env`. */
  env?: Record<string, string | undefined>
  /** Built-in tools runs may use; requests can narrow this, never widen it. Default: none. */
  allowedTools?: string[]
  /** More of the server's environment variables the CLI gets, by name (it gets an allow-list). */
  passEnv?: string[]
  /** CLAUDE_CODE_MAX_RETRIES for the child. Default: the environment's, else 2. */
  maxRetries?: number
  /** API_TIMEOUT_MS for the child (per API attempt). Default: the environment's, else 120 s. */
  apiTimeoutMs?: number
  /** Where run and session directories are made. Default `<tmpdir>/claude-code-api`. */
  workDir?: string
  /** bubblewrap, for runs with tools rules cannot confine (Bash); `null`: none, such runs are refused. Default /usr/bin/bwrap when it works. */
  sandbox?: string | null
  /** Files a sandboxed run must not see (the keys file). */
  hiddenPaths?: string[]
  /** More `host:port`s a sandboxed run may reach, besides the Messages API. */
  sandboxEgress?: string[]
  /** Shapes started ahead from the start. Default: haiku, one turn (the native API's default). */
  warmShapes?: WarmShape[]
  /** What time it is for kept sessions' age and the quota's reset (tests move it on). */
  clock?: Clock
  logger?: Logger
  /** What runs are traced with (their queue, process and run spans); default the global API's. */
  tracing?: Tracing
  /**
   * Where the CLI's own telemetry goes, nested under each run's span (telemetry-relay.ts);
   * none: the CLI exports nothing.
   */
  telemetry?: OtlpTargets
}

/** The settings with their defaults; a deadline's ceiling is never below the default deadline. */
export const resolveSettings = (options: NodeRunnerOptions): RunnerSettingsOutput => {
  const entries = Object.keys(RunnerSettings.entries) as Array<keyof RunnerSettingsInput>
  const given = Object.fromEntries(
    entries.flatMap((k) => (options[k] === undefined ? [] : [[k, options[k]]]))
  )
  const parsed = v.safeParse(RunnerSettings, given)
  if (!parsed.success) {
    const [issue] = parsed.issues
    throw new ConfigError(`Runner setting ${v.getDotPath(issue) ?? ''}: ${issue.message}`)
  }
  const settings = parsed.output
  return { ...settings, maxTimeoutMs: Math.max(settings.maxTimeoutMs, settings.timeoutMs) }
}

/** Where run directories, kept sessions and the usage database live unless set. */
export const defaultWorkDir = () => join(tmpdir(), 'claude-code-api')
