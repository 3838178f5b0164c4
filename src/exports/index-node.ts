/**
 * @module claude-code-api (Node)
 * What `claude-code-api` resolves to in Node: the runtime-agnostic core, with the local Claude
 * Code CLI as the runner a `ClaudeClient` uses when it is given none.
 */
import { createNodeRunner } from '../adapters/node/runner.js'
import { setDefaultRunnerFactory } from '../client/client.js'

setDefaultRunnerFactory(() => createNodeRunner())

export * from './index.js'
