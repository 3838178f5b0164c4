/**
 * @module claude-code-api
 * The runtime-agnostic core: the app, the runner contract and the typed errors. Nothing here
 * imports `node:*`; the Node runner lives in `claude-code-api/node`.
 */

export { type App, type AppOptions, createApp } from './app.js'
export type { AppEnv } from './app-env.js'
export { type Capacity, type CapacityOptions, createCapacity } from './capacity.js'
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
} from './client.js'
export * from './errors.js'
export { extractJson } from './json-extract.js'
export { createLogger, type Logger, type LogLevel, silentLogger } from './logger.js'
export { isSafeModel, MODEL_ALIASES } from './models.js'
export { collectRun } from './run-result.js'
export type * from './runner.js'
export {
  createRunnerHostApp,
  RUNNER_PROTOCOL,
  type RunnerHostOptions,
} from './runner-host.js'
export { VERSION } from './version.js'
