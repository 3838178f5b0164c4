/**
 * Another process writing to a usage database: `usage-writer.ts PATH NAME COUNT` records COUNT
 * runs of $0.001 for key `a…a`, as fast as it can.
 */
import { createSqliteUsageStore } from '../../src/runtime/node/usage.js'
import { runCharge } from './run-charge.js'

const [path, name, count] = process.argv.slice(2)
const store = createSqliteUsageStore(path as string)
for (let i = 0; i < Number(count); i++) {
  await store.record({ id: 'a'.repeat(64), name: name as string }, runCharge(0.001))
}
store.close?.()
