/**
 * Builds the web pages (the chat, the operator's dashboard) into dist/web: for each, one minified
 * script and one stylesheet, named by a hash of their content, and the page naming them. Fails
 * when a page's script + style exceed the size budget (gzipped), so the pages stay small.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const WEB_BUDGET_BYTES = 150 * 1024

const bundle = async (entry: string) => {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`)
  return file.contents
}

const hashed = (name: string, ext: string, contents: Uint8Array) =>
  `${name}-${createHash('sha256').update(contents).digest('hex').slice(0, 10)}.${ext}`

/** The pages: each folder of web/ with main.ts, style.css and index.html, and where it is served. */
const PAGES = [
  { name: 'chat', dir: 'web/chat' },
  { name: 'admin', dir: 'web/admin' },
] as const

const buildPage = async ({ name, dir }: (typeof PAGES)[number]) => {
  const [script, style, template] = await Promise.all([
    bundle(`${dir}/main.ts`),
    bundle(`${dir}/style.css`),
    readFile(join(ROOT, dir, 'index.html'), 'utf8'),
  ])
  const files = { script: hashed(name, 'js', script), style: hashed(name, 'css', style) }
  const page = template.replace('{{script}}', files.script).replace('{{style}}', files.style)
  return {
    name,
    files,
    contents: { [files.script]: script, [files.style]: style, [`${name}.html`]: page },
    gzipped: gzipSync(script).length + gzipSync(style).length,
  }
}

/** Builds every page into `outDir`; `gzipped` per page (script and style). */
export const buildWeb = async (outDir = join(ROOT, 'dist', 'web')) => {
  const pages = await Promise.all(PAGES.map(buildPage))
  await rm(outDir, { recursive: true, force: true })
  await mkdir(outDir, { recursive: true })
  await Promise.all(
    pages.flatMap((page) =>
      Object.entries(page.contents).map(([file, body]) => writeFile(join(outDir, file), body))
    )
  )
  const chat = pages[0] as Awaited<ReturnType<typeof buildPage>>
  return { outDir, files: chat.files, gzipped: chat.gzipped, pages }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { pages } = await buildWeb()
  let over = false
  for (const page of pages) {
    const kb = (page.gzipped / 1024).toFixed(1)
    if (page.gzipped > WEB_BUDGET_BYTES) {
      console.error(
        `${page.name} page: ${kb} KB gzipped, over the ${WEB_BUDGET_BYTES / 1024} KB budget`
      )
      over = true
    } else {
      console.log(
        `${page.name} page: ${page.files.script}, ${page.files.style}: ${kb} KB gzipped (budget 150 KB)`
      )
    }
  }
  if (over) process.exit(1)
}
