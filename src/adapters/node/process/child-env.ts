/**
 * The CLI's environment, built from an allow-list: what the CLI needs to run, log in and reach
 * its API, and nothing else of the server's (cloud credentials, tokens and secrets of other
 * programs stay out of reach of the CLI and of every command its tools run). The operator may
 * pass more by name (`passEnv`, `CLAUDE_PASS_ENV`), e.g. `AWS_REGION` for Bedrock. Retries and
 * per-attempt timeouts are bounded.
 */
export type ChildEnvOptions = {
  /** Keep ANTHROPIC_API_KEY (off by default: the CLI should use the Claude Code login). */
  allowApiKey?: boolean
  maxRetries?: number
  apiTimeoutMs?: number
  /** More variables to pass through, by exact name. */
  passEnv?: readonly string[]
}

/** Variables the CLI may get by name: the shell basics, locale, proxies and certificates. */
const ALLOWED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'TMPDIR',
  'CLAUDE_CONFIG_DIR',
  'XDG_CONFIG_HOME',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'API_TIMEOUT_MS',
  'DISABLE_AUTOUPDATER',
  'DISABLE_TELEMETRY',
  'DISABLE_ERROR_REPORTING',
  'MAX_THINKING_TOKENS',
])

/** Families the CLI reads its own settings and login from (`CLAUDE_CODE_OAUTH_TOKEN`, …). */
const ALLOWED_PREFIXES = ['LC_', 'CLAUDE_CODE_', 'ANTHROPIC_']

/** Of those, what must still never reach the CLI (ours, or a key that would override the login). */
const REMOVED = new Set(['ANTHROPIC_API_KEY'])

export const isPassedToCli = (name: string, options: ChildEnvOptions = {}) => {
  if (name === 'ANTHROPIC_API_KEY') return Boolean(options.allowApiKey)
  if (options.passEnv?.includes(name)) return true
  if (REMOVED.has(name)) return false
  return ALLOWED.has(name) || ALLOWED_PREFIXES.some((prefix) => name.startsWith(prefix))
}

export const buildChildEnv = (
  base: Record<string, string | undefined>,
  options: ChildEnvOptions = {}
): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && isPassedToCli(key, options)) env[key] = value
  }
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ??= '1'
  // Bounded retries and per-attempt timeouts; our own deadline still bounds the whole run.
  env.CLAUDE_CODE_MAX_RETRIES = String(options.maxRetries ?? env.CLAUDE_CODE_MAX_RETRIES ?? 2)
  env.API_TIMEOUT_MS = String(options.apiTimeoutMs ?? env.API_TIMEOUT_MS ?? 120_000)
  return env
}

/** The server's own credentials: none of them may reach a process that runs on a key's login. */
const SERVER_CREDENTIALS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_REFRESH_TOKEN',
  'CLAUDE_CODE_SESSION_ACCESS_TOKEN',
]

/**
 * A process's environment: the server's, with the run's own settings over it. A process on a
 * key's own login (`CLAUDE_CODE_OAUTH_TOKEN` among them) gets none of the server's credentials,
 * so it can only ever be that login.
 */
export const processEnv = (base: Record<string, string>, own: Record<string, string>) => {
  if (!own.CLAUDE_CODE_OAUTH_TOKEN) return { ...base, ...own }
  const env = { ...base }
  for (const name of SERVER_CREDENTIALS) delete env[name]
  return { ...env, ...own }
}
