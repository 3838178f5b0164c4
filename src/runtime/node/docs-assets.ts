/**
 * Swagger UI's assets, served from the installed `swagger-ui-dist` package so /docs works with no
 * network access.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Hono } from 'hono'

export const ASSETS_PREFIX = '/assets'

const SWAGGER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
}

export const createDocsAssets = () => {
  const root = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  return new Hono().get(`${ASSETS_PREFIX}/swagger-ui-dist/:file`, async (c) => {
    const file = c.req.param('file')
    const type = SWAGGER_FILES[file]
    if (!type) return c.notFound()
    const body = await readFile(join(root, file))
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' })
  })
}
