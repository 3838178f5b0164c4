/**
 * @module claude-code-api
 * The runtime-agnostic core: the app, the runner contract and the typed errors. Nothing here
 * imports `node:*`; the Node runner lives in `claude-code-api/node`.
 */

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
export * from '../errors.js'
export type { AppEnv } from '../http/env.js'
export { extractJson } from '../lib/json-extract.js'
export { createLogger, type Logger, type LogLevel, silentLogger } from '../lib/logger.js'
export { VERSION } from '../lib/version.js'
export { type Capacity, type CapacityOptions, createCapacity } from '../run/capacity.js'
export { isSafeModel, MODEL_ALIASES } from '../run/models.js'
export { collectRun } from '../run/result.js'
export type * from '../runner.js'
export {
  createRunnerHostApp,
  RUNNER_PROTOCOL,
  type RunnerHostOptions,
} from '../runner-protocol/host.js'
