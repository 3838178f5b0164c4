/**
 * `claude-code-api serve` (the HTTP API) and `claude-code-api runner` (a runner host for front
 * doors): flags over environment variables, and a shutdown on SIGINT/SIGTERM that leaves no CLI
 * process behind.
 */
import { parseArgs } from 'node:util'
import { UsageError } from '../errors/index.js'
import { DEFAULT_KEYS_FILE, DEFAULT_PORT, loadConfig } from '../runtime/node/config.js'
import { startRunnerHost, startServer } from '../runtime/node/entry.js'

export const SERVE_HELP = `Usage:
  claude-code-api serve [--host HOST] [--port PORT] [--keys-file PATH] [--log-level LEVEL]
                        [--usage-db PATH] [--database-url URL] [--runner-url URL …]

Options (environment variable in brackets):
  --host HOST         address to listen on [HOST] (default 127.0.0.1)
  --port PORT         port [PORT] (default ${DEFAULT_PORT})
  --keys-file PATH    API keys file [API_KEYS_FILE] (default ./${DEFAULT_KEYS_FILE})
  --log-level LEVEL   debug, info, warn, error or silent [LOG_LEVEL] (default info)
  --usage-db PATH     per-key usage, a SQLite file [USAGE_DB] (default <work dir>/usage.db)
  --database-url URL  PostgreSQL for state several front doors share: usage and budgets,
                      stored Responses, background runs, kept sessions, message threads
                      [DATABASE_URL]; migrated at start
  --runner-url URL    a runner host to send runs to instead of the local CLI; repeat it for
                      several [RUNNER_URLS, comma-separated; token: RUNNER_TOKEN]
  -h, --help          this help

Without API keys the server only listens on a loopback address.`

export const RUNNER_HELP = `Usage:
  claude-code-api runner [--host HOST] [--port PORT] [--log-level LEVEL]

Serves this machine's Claude Code CLI to front doors (e.g. the Cloudflare Worker) over the
runner protocol (POST /runner/v1/runs). Callers must send RUNNER_TOKEN as a Bearer token; the
host refuses to listen on a non-loopback address without one.

Options (environment variable in brackets):
  --host HOST         address to listen on [HOST] (default 127.0.0.1)
  --port PORT         port [PORT] (default 7743)
  --log-level LEVEL   [LOG_LEVEL] (default info)
  -h, --help          this help`

/**
 * The flags `serve` and `runner` share, read into the server configuration (flags win over the
 * environment). Returns undefined after printing help.
 */
const listenConfig = (
  argv: string[],
  help: string,
  { front = false, defaultPort = String(DEFAULT_PORT) } = {}
) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'log-level': { type: 'string' },
      ...(front && {
        'keys-file': { type: 'string' as const },
        'usage-db': { type: 'string' as const },
        'database-url': { type: 'string' as const },
        'runner-url': { type: 'string' as const, multiple: true as const },
      }),
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(help)
    return undefined
  }
  if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`)
  const keys = values['keys-file']
  const usageDb = values['usage-db']
  const databaseUrl = values['database-url']
  const runners = values['runner-url']
  return loadConfig({
    ...process.env,
    PORT: (values.port as string | undefined) ?? process.env.PORT ?? defaultPort,
    ...(values.host !== undefined && { HOST: values.host as string }),
    ...(typeof keys === 'string' && { API_KEYS_FILE: keys }),
    ...(typeof usageDb === 'string' && { USAGE_DB: usageDb }),
    ...(typeof databaseUrl === 'string' && { DATABASE_URL: databaseUrl }),
    ...(Array.isArray(runners) && { RUNNER_URLS: runners.join(',') }),
    ...(values['log-level'] !== undefined && { LOG_LEVEL: values['log-level'] as string }),
  })
}

export const serveCommand = async (argv: string[]) => {
  const config = listenConfig(argv, SERVE_HELP, { front: true })
  if (!config) return
  const server = await startServer(config)
  if (config.logLevel === 'silent') console.log(`claude-code-api listening on ${server.url}`)
  stopOnSignals(server)
}

export const runnerCommand = async (argv: string[]) => {
  const config = listenConfig(argv, RUNNER_HELP, { defaultPort: '7743' })
  if (!config) return
  const host = await startRunnerHost({ ...config, token: config.runnerToken })
  if (config.logLevel === 'silent') console.log(`claude-code-api runner host on ${host.url}`)
  stopOnSignals(host)
}

/** SIGINT/SIGTERM: stop the runs (no CLI process left behind), then exit. */
const stopOnSignals = (server: { close(): Promise<void> }) => {
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await server.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
