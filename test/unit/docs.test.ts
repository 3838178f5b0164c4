/** The README stays a front page, and every link in it and in docs/ leads somewhere. */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes. */
const anchorsOf = (markdown: string) =>
  new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-')
    )
  )

describe('docs', () => {
  it('keep the README a front page of at most 300 lines', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(
      300
    )
  })

  it.each(pages)('%s links only to files and headings that exist', (page) => {
    const text = readFileSync(join(ROOT, page), 'utf8')
    const broken: string[] = []
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue
      const [path, anchor] = target.split('#')
      const file = path ? join(dirname(join(ROOT, page)), path) : join(ROOT, page)
      if (!existsSync(file)) broken.push(target)
      else if (
        anchor &&
        file.endsWith('.md') &&
        !anchorsOf(readFileSync(file, 'utf8')).has(anchor)
      ) {
        broken.push(target)
      }
    }
    expect(broken).toEqual([])
  })
})
