/** Stop sequences over a run's events: cut before the first match, held back across deltas. */
import { describe, expect, it } from 'vitest'
import type { RunEvent, RunResult } from '../../src/contract/runner.js'
import { stopAtSequences } from '../../src/run/stop-sequences.js'

const result = (text: string): RunResult => ({
  text,
  sessionId: 's',
  model: 'm',
  numTurns: 1,
  totalCostUsd: 0.01,
  durationMs: 1,
  usage: null,
  modelUsage: null,
})

async function* run(deltas: string[], final = deltas.join('')): AsyncGenerator<RunEvent> {
  yield { type: 'init', sessionId: 's', model: 'm' }
  for (const text of deltas) yield { type: 'text_delta', text }
  yield { type: 'result', result: result(final) }
}

const collect = async (events: AsyncIterable<RunEvent>) => {
  const out: RunEvent[] = []
  for await (const event of events) out.push(event)
  const text = out.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')
  const last = out.at(-1)
  return { text, result: last?.type === 'result' ? last.result : undefined }
}

describe('stopAtSequences', () => {
  it('finds a sequence split across deltas, and never shows any of it', async () => {
    const { text, result } = await collect(
      stopAtSequences(run(['ab', 'c S', 'TO', 'P d']), ['STOP'])
    )
    expect(text).toBe('abc ')
    expect(result).toMatchObject({
      text: 'abc ',
      stopReason: 'stop_sequence',
      stopSequence: 'STOP',
    })
  })

  it('stops the run at a match: nothing after it is read', async () => {
    let read = 0
    async function* counted(): AsyncGenerator<RunEvent> {
      for (const text of ['x', 'END', 'y', 'z']) {
        read++
        yield { type: 'text_delta', text }
      }
    }
    await collect(stopAtSequences(counted(), ['END']))
    expect(read).toBe(2)
  })

  it('lets held-back text out when it turns out not to be a sequence', async () => {
    const { text, result } = await collect(stopAtSequences(run(['a S', 'T', 'x']), ['STOP']))
    expect(text).toBe('a STx')
    expect(result?.stopReason).toBeUndefined()
  })

  it('picks the earliest of several sequences, and cuts a result that did not stream', async () => {
    const streamed = await collect(stopAtSequences(run(['1 two 3 one']), ['one', 'two']))
    expect(streamed.result?.stopSequence).toBe('two')
    const whole = await collect(stopAtSequences(run([], 'keep END drop'), ['END']))
    expect(whole.result).toMatchObject({ text: 'keep ', stopReason: 'stop_sequence' })
  })

  it('passes everything through without sequences', async () => {
    const { text, result } = await collect(stopAtSequences(run(['a', 'b']), undefined))
    expect([text, result?.text]).toEqual(['ab', 'ab'])
  })
})
