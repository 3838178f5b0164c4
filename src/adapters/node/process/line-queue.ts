/**
 * A child's stdout as lines that several readers can take in turn: a process that serves more
 * than one run is read by one loop per run, and a loop that stops at its run's result must not
 * close the stream for the next one (readline's own iterator does). The child is paused while
 * unread lines pile up, so a slow reader holds the CLI back instead of filling memory.
 */
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

const HIGH_WATER = 1_000

export const createLineQueue = (input: Readable): AsyncIterable<string> => {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  const buffered: string[] = []
  let ended = false
  let wake: (() => void) | undefined
  const notify = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  lines.on('line', (line) => {
    buffered.push(line)
    if (buffered.length >= HIGH_WATER) lines.pause()
    notify()
  })
  lines.on('close', () => {
    ended = true
    notify()
  })

  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const line = buffered.shift()
        if (line !== undefined) {
          if (buffered.length < HIGH_WATER / 2) lines.resume()
          yield line
          continue
        }
        if (ended) return
        await new Promise<void>((resolve) => (wake = resolve))
      }
    },
  }
}
