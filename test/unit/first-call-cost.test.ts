/** What a run's first model call cost, from the run's cost and the calls' tokens (run/charge.ts). */
import { describe, expect, it } from 'vitest'
import { firstCallCost } from '../../src/run/charge.js'

const usage = (input: number, write: number, read: number, output: number) => ({
  input_tokens: input,
  cache_creation_input_tokens: write,
  cache_read_input_tokens: read,
  output_tokens: output,
})

describe('the first call of a run', () => {
  it('costs its share of the run, its tokens weighed at list-price ratios', () => {
    // First call: 1,000 cache writes (1,250 units) and 1 output token (5); the run added 1,000
    // cache reads (100) and 149 output tokens (745): 1,255 of 2,100 units.
    const charge = { costUsd: 0.0021, usage: usage(0, 1_000, 1_000, 150), model: null }
    expect(firstCallCost(charge, usage(0, 1_000, 0, 1))).toBeCloseTo(0.001255, 9)
  })

  it('is the whole run at most, and unknown when the run cost nothing or had no tokens', () => {
    const charge = { costUsd: 0.01, usage: usage(10, 0, 0, 1), model: null }
    expect(firstCallCost(charge, usage(100, 0, 0, 1))).toBe(0.01)
    expect(firstCallCost({ ...charge, costUsd: 0 }, usage(1, 0, 0, 0))).toBeUndefined()
    expect(firstCallCost({ ...charge, usage: null }, usage(1, 0, 0, 0))).toBeUndefined()
  })
})
