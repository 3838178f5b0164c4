/**
 * The runner protocol's run stream: one `RunEvent` per line (NDJSON), a failure as an `error`
 * line, and an empty line as a keep-alive (readers skip blank lines).
 */
import { streamErrorOf } from '../http/dialect.js'
import type { StreamEncoder } from '../http/stream-pipe.js'
import { encodeNdjson } from '../lib/ndjson.js'

export const createRunnerEncoder = (): StreamEncoder => ({
  contentType: 'application/x-ndjson; charset=utf-8',
  event: (event) => [encodeNdjson(event)],
  error: (error) => [encodeNdjson(streamErrorOf('runner', error))],
  heartbeat: () => '\n',
})
