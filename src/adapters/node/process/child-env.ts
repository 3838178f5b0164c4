/**
 * The CLI's environment: the server's, less what must never reach the CLI or its tools, with
 * bounded retries and per-attempt timeouts.
 */
export type ChildEnvOptions = {
  /** Keep ANTHROPIC_API_KEY (off by default: the CLI should use the Claude Code login). */
  allowApiKey?: boolean
  maxRetries?: number
  apiTimeoutMs?: number
}

/** Variables of ours (and of the host tooling) that must never reach the CLI or its tools. */
const REMOVED = [
  'CLAUDECODE',
  'NODE_OPTIONS',
  'DEBUG',
  'API_KEY_HASHES',
  'API_KEYS_FILE',
  'RUNNER_TOKEN',
  'CLAUDE_BIN',
]

export const buildChildEnv = (
  base: Record<string, string | undefined>,
  options: ChildEnvOptions = {}
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || REMOVED.includes(key)) continue
    if (key === 'ANTHROPIC_API_KEY' && !options.allowApiKey) continue
    env[key] = value
  }
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ??= '1'
  // Bounded retries and per-attempt timeouts; our own deadline still bounds the whole run.
  env.CLAUDE_CODE_MAX_RETRIES = String(options.maxRetries ?? env.CLAUDE_CODE_MAX_RETRIES ?? 2)
  env.API_TIMEOUT_MS = String(options.apiTimeoutMs ?? env.API_TIMEOUT_MS ?? 120_000)
  return env
}
