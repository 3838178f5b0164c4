/**
 * The prompt cache's hit ratio since the server started: input tokens read from the cache over
 * all input tokens (plain, read, written), per key and for the login as a whole (no `key` label).
 */
import { Gauge, type Registry } from 'prom-client'
import type { RequestRecord } from '../../http/request-log.js'

type Tally = { read: number; all: number }

export const createCacheHits = (registry: Registry) => {
  const ratio = new Gauge({
    name: 'cca_cache_hit_ratio',
    help: 'Input tokens read from the prompt cache over all input tokens since start, per key (no key label: the login).',
    labelNames: ['key'],
    registers: [registry],
  })
  const login: Tally = { read: 0, all: 0 }
  const byKey = new Map<string, Tally>()
  const add = (tally: Tally, read: number, all: number) => {
    tally.read += read
    tally.all += all
    return tally.all > 0 ? tally.read / tally.all : 0
  }
  return {
    observe(record: RequestRecord) {
      const read = record.cache_read_tokens ?? 0
      const all = (record.input_tokens ?? 0) + read + (record.cache_write_tokens ?? 0)
      if (all === 0) return
      ratio.set(add(login, read, all))
      const key = record.key ?? 'anonymous'
      const tally = byKey.get(key) ?? { read: 0, all: 0 }
      byKey.set(key, tally)
      ratio.set({ key }, add(tally, read, all))
    },
  }
}
