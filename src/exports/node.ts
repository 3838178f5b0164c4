/**
 * @module claude-code-api/node
 * Node-only pieces: the runner that spawns the local Claude Code CLI and the server entry.
 */

export { createFileKeySource, createKey, revokeKey, rotateKey } from '../adapters/node/keys-file.js'
export {
  createNodeRunner,
  type NodeRunner,
  type NodeRunnerOptions,
} from '../adapters/node/runner.js'
export {
  createSqliteUsageStore,
  openSqliteUsageReader,
} from '../adapters/node/sqlite-usage-store.js'
export {
  type RunnerHostServerOptions,
  type RunningServer,
  type ServerOptions,
  startRunnerHost,
  startServer,
} from '../runtime/node.js'
