/** Stored Responses and background runs in this process's memory keep the shared contract. */
import { createMemoryBackgroundLog } from '../../src/compat/responses/background-log.js'
import { createResponseStore } from '../../src/compat/responses/store.js'
import { describeBackgroundLog, describeResponseStore } from '../helpers/responses-store-suite.js'

describeResponseStore('memory', async () => createResponseStore())
describeBackgroundLog('memory', async () => {
  const log = createMemoryBackgroundLog()
  return { log, other: log }
})
