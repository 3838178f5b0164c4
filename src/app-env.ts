import type { Logger } from './logger.js'
import type { ClaudeRunner } from './runner.js'

/** What every route can read from `c.var`; set per request, so a runtime can build it from bindings. */
export type AppEnv = {
  Variables: {
    runner: ClaudeRunner
    logger: Logger
  }
}
