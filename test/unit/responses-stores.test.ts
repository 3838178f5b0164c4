/**
 * Stored Responses, background runs and kept sessions' transcripts in this process's memory keep
 * the shared contracts.
 */

import { createMemorySessionArchive } from '../../src/adapters/remote/session-keeping.js'
import { createMemoryBackgroundLog } from '../../src/compat/responses/background-log.js'
import { createResponseStore } from '../../src/compat/responses/store.js'
import { describeBackgroundLog, describeResponseStore } from '../helpers/responses-store-suite.js'
import { describeSessionArchive } from '../helpers/session-archive-suite.js'

describeResponseStore('memory', async () => createResponseStore())
describeBackgroundLog('memory', async () => {
  const log = createMemoryBackgroundLog()
  return { log, other: log }
})
describeSessionArchive('memory', async () => createMemorySessionArchive())
