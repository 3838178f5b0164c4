/**
 * @module claude-code-api
 * The runtime-agnostic core: the app, the runner contract, the typed errors, the library client
 * and the runners that need only `fetch` (a server's API, runner hosts). Nothing here imports
 * `node:*`; the Node runner lives in `claude-code-api/node`.
 */

export { type ApiRunnerOptions, createApiRunner } from '../adapters/api.js'
export { createRemoteRunner, type RemoteRunnerOptions } from '../adapters/remote/remote-runner.js'
export { type App, type AppOptions, createApp } from '../app.js'
export {
  type CallOptions,
  type ChatResult,
  ClaudeClient,
  type ClaudeClientOptions,
  type ClaudeStream,
  claudeChat,
  claudeJson,
  type JsonSchemaInput,
  type QueryInput,
} from '../client/client.js'
export type { ToolFunction, ToolFunctions, ToolLoopOptions } from '../client/tool-loop.js'
export { isSafeModel, MODEL_ALIASES } from '../contract/names.js'
export type * from '../contract/runner.js'
export { RUNNER_PROTOCOL } from '../contract/runner-protocol.js'
export type { DayUsage, KeyUsage, UsageTotals } from '../contract/usage.js'
export { errorFromType } from '../errors/from-wire.js'
export * from '../errors/index.js'
export type { AppEnv } from '../http/env.js'
export { extractJson } from '../lib/json-extract.js'
export { createLogger, type Logger, type LogLevel, silentLogger } from '../lib/logger.js'
export { VERSION } from '../lib/version.js'
export { type Capacity, type CapacityOptions, createCapacity } from '../run/capacity.js'
export { collectRun } from '../run/result.js'
export { createRunnerHostApp, type RunnerHostOptions } from '../runner-protocol/host.js'
export { KeyUsageObject } from '../runtime/worker/key-usage-object.js'
export {
  createDurableUsageStore,
  type DurableUsageOptions,
  type UsageNamespace,
} from '../runtime/worker/usage.js'
export { createTracing, type Tracing } from '../tracing/tracing.js'
export { createMemoryUsageStore } from '../usage/memory-store.js'
export type { Release, RunLimits, UsageKey, UsageStore } from '../usage/store.js'
export type { WebAssets } from '../web/routes.js'
