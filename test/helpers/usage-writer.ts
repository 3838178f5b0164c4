/**
 * Another process writing to a usage database: `usage-writer.ts PATH NAME COUNT` records COUNT
 * runs of $0.001 for key `a…a`, as fast as it can.
 */
import { createSqliteUsageStore } from '../../src/adapters/node/sqlite-usage-store.js'

const [path, name, count] = process.argv.slice(2)
const store = createSqliteUsageStore(path as string)
for (let i = 0; i < Number(count); i++) {
  await store.record(
    { id: 'a'.repeat(64), name: name as string },
    {
      costUsd: 0.001,
      model: 'claude-haiku-5-5',
      usage: {
        input_tokens: 10,
        output_tokens: 3,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    }
  )
}
store.close?.()
