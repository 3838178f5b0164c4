/** An in-memory `ClaudeRunner` for route tests: scripted events, recorded requests. */
import type {
  ClaudeRunner,
  ModelInfo,
  RunEvent,
  RunnerStatus,
  RunOptions,
  RunRequest,
  RunResult,
} from '../src/contract/runner.js'

export type Script = (request: RunRequest, options: RunOptions) => AsyncIterable<RunEvent>

export const result = (text: string, extra: Partial<RunResult> = {}): RunEvent => ({
  type: 'result',
  result: {
    text,
    sessionId: '11111111-2222-4333-8444-555555555555',
    model: 'claude-fake-1',
    numTurns: 1,
    totalCostUsd: 0.001,
    durationMs: 12,
    usage: {
      input_tokens: 10,
      output_tokens: 2,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    },
    modelUsage: null,
    ...extra,
  },
})

export const events = (...list: Array<RunEvent | Error>): Script =>
  async function* () {
    for (const item of list) {
      if (item instanceof Error) throw item
      yield item
    }
  }

export const fakeStatus: RunnerStatus = {
  available: true,
  binary_path: '/fake/claude',
  binary_source: 'env',
  version: '2.1.330 (Claude Code)',
  logged_in: true,
  auth_method: 'oauth_token',
  capacity: { max_concurrency: 2, running: 0, queued: 0, max_queue: 4 },
}

export const fakeModels: ModelInfo[] = [
  {
    id: 'haiku',
    api_id: 'claude-fake-haiku',
    name: 'Haiku',
    description: 'fake',
    input_price: '$1',
    output_price: '$5',
  },
]

export const createFakeRunner = (script: Script = events({ type: 'started' }, result('ok'))) => {
  const requests: RunRequest[] = []
  let current = script
  const runner: ClaudeRunner = {
    run(request, options = {}) {
      requests.push(request)
      return current(request, options)
    },
    status: async () => fakeStatus,
    models: async () => fakeModels,
  }
  return {
    runner,
    requests,
    setScript: (next: Script) => {
      current = next
    },
  }
}
