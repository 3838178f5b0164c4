/**
 * One run's charge as a usage store records it: 10 tokens in, 3 out, 40 read from the prompt
 * cache and 5 written to it, `usd` dollars.
 */
export const runCharge = (usd: number) => ({
  costUsd: usd,
  model: 'claude-haiku-5-5',
  usage: {
    input_tokens: 10,
    output_tokens: 3,
    cache_read_input_tokens: 40,
    cache_creation_input_tokens: 5,
  },
})
