/**
 * The edge front door on Cloudflare Workers: the same app, with API keys from bindings and runs
 * forwarded to Node runner hosts. Health, models (cached from a host), auth, validation and
 * OpenAPI are answered here; only runs travel.
 *
 * Bindings: RUNNER_URLS (comma-separated), RUNNER_TOKEN (secret), API_KEY_HASHES (secret,
 * comma-separated SHA-256 hashes), KEYS (optional KV: key hash → {"name","policy"}),
 * API_AUTH_DISABLED ("1" to run open), LOG_LEVEL, CORS_ORIGINS (comma-separated browser origins),
 * ASSETS (the static-assets binding holding the chat page, `dist/web`), KEY_USAGE (the Durable
 * Object namespace of per-key usage, stored Responses and background ones' events; without it
 * each isolate keeps its own), USAGE_LEASE_MS.
 */

import { createRemoteRunner } from '../../adapters/remote/remote-runner.js'
import { type App, createApp } from '../../app.js'
import { type KeyPolicy, type KeyRecord, parseHashList, policyProblem } from '../../auth/keys.js'
import type { KeySource } from '../../auth/middleware.js'
import type { ClaudeRunner } from '../../contract/runner.js'
import { RunnerUnavailableError } from '../../errors/index.js'
import { parseOrigins } from '../../http/cors.js'
import { createLogger, isLogLevel, type Logger, silentLogger } from '../../lib/logger.js'
import type { WebAssets } from '../../web/routes.js'
import { createDurableBackgroundLog } from './durable-background-log.js'
import { createDurableResponseStore } from './durable-response-store.js'
import { createDurableUsageStore, type UsageNamespace } from './durable-usage-store.js'

// The Durable Object class must be exported by the Worker's main module.
export { KeyUsageObject } from './key-usage-object.js'

/** The part of Workers KV this uses (so the types do not depend on the Workers runtime's). */
export type KeyValueStore = { get<T>(key: string, type: 'json'): Promise<T | null> }

export type WorkerEnv = {
  RUNNER_URLS?: string
  RUNNER_TOKEN?: string
  API_KEY_HASHES?: string
  API_AUTH_DISABLED?: string
  LOG_LEVEL?: string
  CORS_ORIGINS?: string
  KEYS?: KeyValueStore
  ASSETS?: AssetsBinding
  KEY_USAGE?: UsageNamespace
  USAGE_LEASE_MS?: string
}

/** The part of the static-assets binding this uses. */
export type AssetsBinding = { fetch(request: Request): Promise<Response> }

/** The chat page's files from the static-assets binding (`html_handling: none`: names as built). */
const bindingAssets = (binding: AssetsBinding): WebAssets => ({
  read: async (name) => {
    const response = await binding.fetch(new Request(`https://assets.invalid/${name}`))
    if (response.ok) return response.body
    await response.body?.cancel()
    return null
  },
})

const flag = (value: string | undefined) => /^(1|true|yes)$/i.test(value ?? '')

/** Keys from the API_KEY_HASHES secret and, when bound, the KEYS namespace. */
export const bindingsKeySource = (env: WorkerEnv, logger: Logger = silentLogger): KeySource => {
  const { records } = parseHashList(env.API_KEY_HASHES)
  const kv = env.KEYS
  return {
    // At the edge auth is on unless disabled on purpose: no keys means no access.
    load: () => ({ enabled: !flag(env.API_AUTH_DISABLED), records }),
    ...(kv && {
      find: async (hash: string): Promise<KeyRecord | undefined> => {
        const value = await kv.get<{ name?: string; created?: string; policy?: KeyPolicy }>(
          hash,
          'json'
        )
        if (!value) return undefined
        // Checked like the keys file's: a malformed policy must not loosen a limit.
        const problem = policyProblem(value.policy ?? {})
        if (problem) {
          logger.error('KV key refused: its policy is invalid', { key: hash.slice(0, 8), problem })
          return undefined
        }
        return {
          hash,
          name: value.name ?? '',
          created: value.created ?? '',
          policy: value.policy ?? {},
        }
      },
    }),
  }
}

const unconfigured: ClaudeRunner = {
  run: () => {
    throw new RunnerUnavailableError('No runner hosts are configured (RUNNER_URLS)')
  },
  status: async () => {
    throw new RunnerUnavailableError('No runner hosts are configured (RUNNER_URLS)')
  },
  models: async () => {
    throw new RunnerUnavailableError('No runner hosts are configured (RUNNER_URLS)')
  },
}

export const createWorkerApp = (env: WorkerEnv): App => {
  const urls = (env.RUNNER_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
  const logger = createLogger(isLogLevel(env.LOG_LEVEL) ? env.LOG_LEVEL : 'warn')
  const cors = parseOrigins(env.CORS_ORIGINS)
  // A Worker has no start-up to refuse: a bad entry is logged and left out.
  if (cors.bad !== undefined)
    logger.error('CORS_ORIGINS has an entry that is not an origin', { entry: cors.bad })
  return createApp({
    corsOrigins: cors.origins,
    runner: urls.length
      ? createRemoteRunner({ urls, token: env.RUNNER_TOKEN, logger })
      : unconfigured,
    keys: bindingsKeySource(env, logger),
    logger,
    ...(env.ASSETS && { webAssets: bindingAssets(env.ASSETS) }),
    ...(env.KEY_USAGE && {
      usage: createDurableUsageStore(env.KEY_USAGE, {
        leaseMs: Number(env.USAGE_LEASE_MS) || undefined,
      }),
      responseStore: createDurableResponseStore(env.KEY_USAGE),
      backgroundLog: createDurableBackgroundLog(env.KEY_USAGE),
    }),
  })
}

// One app per set of bindings, so runner host health survives between requests of an isolate;
// a change of bindings builds a new one.
const apps = new Map<string, App>()
const appFor = (env: WorkerEnv) => {
  const id = JSON.stringify([
    env.RUNNER_URLS,
    env.RUNNER_TOKEN,
    env.API_KEY_HASHES,
    env.API_AUTH_DISABLED,
    env.LOG_LEVEL,
    env.CORS_ORIGINS,
    Boolean(env.KEYS),
    Boolean(env.ASSETS),
    Boolean(env.KEY_USAGE),
    env.USAGE_LEASE_MS,
  ])
  let app = apps.get(id)
  if (!app) {
    app = createWorkerApp(env)
    apps.clear()
    apps.set(id, app)
  }
  return app
}

export default {
  fetch: (request: Request, env: WorkerEnv, ctx?: Parameters<App['fetch']>[2]) =>
    appFor(env).fetch(request, env, ctx),
}
