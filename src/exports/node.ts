/**
 * @module claude-code-api/node
 * Node-only pieces: the runner that spawns the local Claude Code CLI and the server entry.
 */

export {
  createNodeRunner,
  type NodeRunner,
  type NodeRunnerOptions,
} from '../adapters/node/runner.js'
export {
  type RunnerHostServerOptions,
  type RunningServer,
  type ServerOptions,
  startRunnerHost,
  startServer,
} from '../runtime/node/entry.js'
export { createFileKeySource, createKey, revokeKey, rotateKey } from '../runtime/node/keys.js'
export {
  createServerTracing,
  type OtelEnv,
  type ServerTracing,
} from '../runtime/node/tracing.js'
export {
  createSqliteUsageStore,
  openSqliteUsageReader,
} from '../runtime/node/usage.js'
