/**
 * @module claude-code-api/node
 * Node-only pieces: the runner that spawns the local Claude Code CLI and the server entry.
 */
export { createNodeRunner, type NodeRunner, type NodeRunnerOptions } from './adapters/node.js'
export { type ServerOptions, startServer } from './runtime/node.js'
