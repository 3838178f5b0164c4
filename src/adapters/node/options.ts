/** The Node runner's settings (the server reads them from its configuration). */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from '../../lib/logger.js'
import type { WarmShape } from './pool/shape.js'

export type NodeRunnerOptions = {
  /** Path to the CLI; default CLAUDE_BIN, the pinned dependency, or `claude` on PATH. */
  binary?: string
  /** The environment the child's is built from; default `process.env`. */
  env?: Record<string, string | undefined>
  /** Let ANTHROPIC_API_KEY through to the CLI (default: removed). */
  allowApiKey?: boolean
  /** Built-in tools runs may use; requests can narrow this, never widen it. Default: none. */
  allowedTools?: string[]
  /** Concurrent CLI processes; default twice the CPU count, at least 2. */
  maxConcurrency?: number
  /** Runs that may wait for a slot; beyond that, `QueueFullError`. Default 32. */
  maxQueue?: number
  /** Deadline of a run (queueing included) when the request sets none. Default 5 minutes. */
  timeoutMs?: number
  /** Upper bound for a request's own deadline. Default 15 minutes. */
  maxTimeoutMs?: number
  /** Between SIGTERM and SIGKILL. Default 3 s. */
  killGraceMs?: number
  /** CLAUDE_CODE_MAX_RETRIES for the child. Default 2. */
  maxRetries?: number
  /** API_TIMEOUT_MS for the child (per API attempt). Default 120 s. */
  apiTimeoutMs?: number
  /** Where run and session directories are made. Default `<tmpdir>/claude-code-api`. */
  workDir?: string
  /** bubblewrap, for runs with tools rules cannot confine (Bash); `null`: none, such runs are refused. Default /usr/bin/bwrap when it works. */
  sandbox?: string | null
  /** Files a sandboxed run must not see (the keys file). */
  hiddenPaths?: string[]
  /** CLI processes started ahead of demand (see warm-pool.ts). Default 0 (none). */
  warmProcesses?: number
  /** A process started ahead and unused this long is stopped. Default 10 minutes. */
  warmIdleMs?: number
  /**
   * Let a process that served a run serve its key's next run after `/clear` (see recycle.ts).
   * Default true. Processes waiting this way count against `warmProcesses`.
   */
  reuseProcesses?: boolean
  /** Runs one process serves at most before it is retired. Default 20; 1 is no reuse. */
  runsPerProcess?: number
  /** A process above this resident memory (MiB) after a run is retired, not reused. Default 400. */
  maxProcessRssMb?: number
  /** Shapes started ahead from the start. Default: haiku, one turn (the native API's default). */
  warmShapes?: WarmShape[]
  /** A kept session unused for this long is removed. Default 7 days. */
  sessionTtlMs?: number
  /** Kept sessions per key (per owner); the least recently used beyond it go. Default 50. */
  maxSessionsPerKey?: number
  /** How long a run waits for the client's tool results before it is stopped. Default 5 min. */
  toolWaitMs?: number
  /** Runs that may wait for tool results at once (each holds a CLI process). Default 16. */
  maxParkedRuns?: number
  /** Of those, runs of one key. Default 4. */
  maxParkedRunsPerKey?: number
  /** While the login's quota is used up, one run is let through this often. Default 1 minute. */
  quotaProbeMs?: number
  logger?: Logger
}

/** Where run directories, kept sessions and the usage database live unless set. */
export const defaultWorkDir = () => join(tmpdir(), 'claude-code-api')
