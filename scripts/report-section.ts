/**
 * docs/benchmarks.md is written by more than one script: `npm run bench` writes the file, and
 * `npm run soak` its own section between markers, which each keeps when the other writes.
 */
import { readFile, writeFile } from 'node:fs/promises'

const pattern = (name: string) => new RegExp(`<!-- ${name} -->[\\s\\S]*?<!-- /${name} -->\\n?`)

/** The section `name` as it is in `file` (markers included), or ''. */
export const sectionOf = async (file: string, name: string) => {
  const text = await readFile(file, 'utf8').catch(() => '')
  return pattern(name).exec(text)?.[0] ?? ''
}

/** Writes `body` as the section `name` of `file`, in its place or at the end. */
export const writeSection = async (file: string, name: string, body: string) => {
  const text = await readFile(file, 'utf8').catch(() => '')
  const section = `<!-- ${name} -->\n${body.trimEnd()}\n<!-- /${name} -->\n`
  const next = pattern(name).test(text)
    ? text.replace(pattern(name), section)
    : `${text.trimEnd()}\n\n${section}`
  await writeFile(file, next)
}
