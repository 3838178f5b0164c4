/** The rate-limit headers the Messages API sends on a subscription login (the CLI reports them). */

export const epoch = (inSeconds: number) => Math.floor(Date.now() / 1000) + inSeconds

/** The headers the API sends with each answer on a subscription login; `reset`: epoch seconds. */
export const unifiedHeaders = (status: string, utilization: number, resetAt: number) => {
  const reset = String(resetAt)
  return {
    'anthropic-ratelimit-unified-status': status,
    'anthropic-ratelimit-unified-5h-utilization': String(utilization),
    'anthropic-ratelimit-unified-5h-reset': reset,
    'anthropic-ratelimit-unified-7d-utilization': '0.4',
    'anthropic-ratelimit-unified-7d-reset': String(epoch(86_400)),
    'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    'anthropic-ratelimit-unified-reset': reset,
    ...(status === 'rejected' && {
      'anthropic-ratelimit-unified-overage-status': 'rejected',
      'anthropic-ratelimit-unified-overage-disabled-reason': 'out_of_credits',
    }),
  }
}
