/**
 * Stored Responses, background runs, kept sessions' transcripts and thread replies in this
 * process's memory keep the shared contracts (PostgreSQL: test/e2e/postgres-stores.test.ts).
 */

import { createMemorySessionArchive } from '../../src/adapters/remote/session-keeping.js'
import { createMemoryThreadReplies } from '../../src/compat/anthropic/thread-replies.js'
import { createMemoryBackgroundLog } from '../../src/compat/responses/background-log.js'
import { createResponseStore } from '../../src/compat/responses/store.js'
import { describeBackgroundLog, describeResponseStore } from '../helpers/responses-store-suite.js'
import { describeSessionArchive } from '../helpers/session-archive-suite.js'
import { describeThreadReplies } from '../helpers/thread-replies-suite.js'

describeResponseStore('memory', async () => createResponseStore())
describeBackgroundLog('memory', async () => {
  const log = createMemoryBackgroundLog()
  return { log, other: log }
})
describeSessionArchive('memory', async () => createMemorySessionArchive())
describeThreadReplies('memory', async () => {
  const replies = createMemoryThreadReplies()
  return { one: replies, two: replies }
})
