/**
 * What a usage store reports, per key: runs, tokens and USD today, in total and per day. The
 * schemas document /admin/usage and check what a Durable Object answers; the types derive
 * from them.
 */
import * as v from 'valibot'

export const UsageTotals = v.object({
  runs: v.number(),
  input_tokens: v.pipe(
    v.number(),
    v.description('Input tokens not read from or written to the cache.')
  ),
  output_tokens: v.number(),
  cache_read_tokens: v.pipe(v.number(), v.description('Input tokens read from the prompt cache.')),
  cache_write_tokens: v.pipe(
    v.number(),
    v.description('Input tokens written to the prompt cache.')
  ),
  usd: v.number(),
})
export type UsageTotals = v.InferOutput<typeof UsageTotals>

export const DayUsage = v.object({
  date: v.pipe(v.string(), v.description('A UTC day, YYYY-MM-DD.')),
  ...UsageTotals.entries,
})
export type DayUsage = v.InferOutput<typeof DayUsage>

/** A key's limits from its policy (null: none), where the server knows the key. */
export const KeyLimits = v.object({
  daily_usd: v.nullable(v.number()),
  max_concurrent: v.nullable(v.number()),
})

export const KeyUsage = v.object({
  name: v.string(),
  limits: v.optional(v.pipe(KeyLimits, v.description("The key's daily budget and concurrency."))),
  active: v.pipe(v.number(), v.description('Runs in flight now.')),
  today: DayUsage,
  total: v.pipe(UsageTotals, v.description('Since the store was created.')),
  days: v.pipe(
    v.array(DayUsage),
    v.description('The days of the period that had runs, newest first (today included).')
  ),
})
export type KeyUsage = v.InferOutput<typeof KeyUsage>

export const UsageResponse = v.object({
  days: v.pipe(v.number(), v.description('The period `days` covers, in days.')),
  keys: v.pipe(
    v.record(v.string(), KeyUsage),
    v.description('By the first 8 characters of each key hash (or `anonymous`).')
  ),
})
