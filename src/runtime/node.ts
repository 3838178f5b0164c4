/**
 * The Node server: the app with the local CLI runner, Swagger UI's assets served from the
 * installed package (so /docs works offline), and a shutdown that leaves no CLI process behind.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createNodeRunner, type NodeRunnerOptions } from '../adapters/node.js'
import { createFileKeySource } from '../adapters/node-keys-file.js'
import { createApp } from '../app.js'
import { createLogger, type Logger } from '../logger.js'
import type { ClaudeRunner } from '../runner.js'
import { createRunnerHostApp } from '../runner-host.js'
import { assertSafeBind, ConfigError, isLoopback, type ServerConfig } from './config.js'

export type ServerOptions = Partial<ServerConfig> & {
  /** Use this runner instead of a local CLI runner built from the options. */
  runner?: ClaudeRunner & { close?(): Promise<void> }
  /** Extra options for the local runner (binary, env, …). */
  runnerOptions?: NodeRunnerOptions
  logger?: Logger
}

export type RunningServer = {
  url: string
  port: number
  close(): Promise<void>
}

const ASSETS_PREFIX = '/assets'
const SWAGGER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
}

const swaggerAssets = () => {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  return new Hono().get(`${ASSETS_PREFIX}/swagger-ui-dist/:file`, async (c) => {
    const file = c.req.param('file')
    const type = SWAGGER_FILES[file]
    if (!type) return c.notFound()
    const body = await readFile(join(root, file))
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' })
  })
}

const localRunner = (options: ServerOptions, logger: Logger) =>
  createNodeRunner({
    allowedTools: options.allowedTools,
    maxConcurrency: options.maxConcurrency,
    maxQueue: options.maxQueue,
    timeoutMs: options.timeoutMs,
    maxTimeoutMs: options.maxTimeoutMs,
    allowApiKey: options.allowApiKey,
    workDir: options.workDir,
    logger,
    ...options.runnerOptions,
  })

export const startServer = async (options: ServerOptions = {}): Promise<RunningServer> => {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info')
  const hostname = options.host ?? '127.0.0.1'
  const keys = createFileKeySource({
    path: options.keysFile ?? '.api-keys',
    hashes: options.apiKeyHashes,
    disabled: options.authDisabled,
    logger,
  })
  const initialKeys = await keys.refresh()
  assertSafeBind(hostname, initialKeys.enabled, Boolean(options.authDisabled))
  if (!initialKeys.enabled) {
    logger.warn(
      options.authDisabled
        ? 'auth disabled (API_AUTH_DISABLED)'
        : 'no API keys configured: open to this machine only',
      { host: hostname }
    )
  }
  const runner = options.runner ?? localRunner(options, logger)
  const app = createApp({
    runner,
    keys,
    logger,
    maxBodyBytes: options.maxBodyBytes,
    heartbeatMs: options.heartbeatMs,
    docsAssetsUrl: ASSETS_PREFIX,
  })
  const assets = swaggerAssets()
  const fetch = (request: Request) =>
    new URL(request.url).pathname.startsWith(`${ASSETS_PREFIX}/`)
      ? assets.fetch(request)
      : app.fetch(request)

  return listen(fetch, hostname, options.port ?? 7742, logger, () => runner.close?.())
}

/** Serves `fetch` on hostname:port; `close` stops the runs first, then the server. */
const listen = async (
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  requestedPort: number,
  logger: Logger,
  beforeClose: () => Promise<void> | undefined
): Promise<RunningServer> => {
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
    (resolve, reject) => {
      const server = serve({ fetch, hostname, port: requestedPort }, (info) =>
        resolve({ server, port: (info as AddressInfo).port })
      )
      server.once('error', reject)
    }
  )
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  const url = `http://${host}:${port}`
  logger.info('listening', { url })

  return {
    url,
    port,
    close: async () => {
      await beforeClose()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
      })
    },
  }
}

export type RunnerHostServerOptions = Omit<
  ServerOptions,
  'keysFile' | 'apiKeyHashes' | 'authDisabled'
> & {
  /** RUNNER_TOKEN; required unless the host listens on loopback only. */
  token?: string
}

/** A runner host: this machine's CLI, served to front doors over the runner protocol. */
export const startRunnerHost = async (
  options: RunnerHostServerOptions = {}
): Promise<RunningServer> => {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info')
  const hostname = options.host ?? '127.0.0.1'
  if (!options.token && !isLoopback(hostname)) {
    throw new ConfigError(
      `refusing to run a runner host on ${hostname} without a token: set RUNNER_TOKEN (a long random string, the same on the front door)`
    )
  }
  const runner = options.runner ?? localRunner(options, logger)
  const app = createRunnerHostApp({ runner, token: options.token, logger })
  return listen(app.fetch, hostname, options.port ?? 7743, logger, () => runner.close?.())
}
