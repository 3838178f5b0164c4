/**
 * The browser pages — the chat (`GET /chat`) and the operator's dashboard (`GET /admin`) — and
 * the index (`GET /`). The pages' files are built by `npm run build` (scripts/build-web.ts); each
 * runtime hands them over through `WebAssets` (files on disk in Node, the static-assets binding
 * on Workers), so the routes and their security headers live here once.
 */
import { type Context, Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { describeRoute } from 'hono-openapi'
import { NotFoundError } from '../errors/index.js'
import type { AppEnv } from '../http/env.js'
import { VERSION } from '../lib/version.js'

/** Reads a built file of the page by name (`chat.html`, `chat-<hash>.js`, …). */
export type WebAssets = {
  read(name: string): Promise<Uint8Array<ArrayBuffer> | ReadableStream | null>
}

/** The page's own files: hashed script and style names, nothing else. */
const ASSET_NAME = /^[a-z]+-[0-9a-z]{6,16}\.(js|css)$/
const CONTENT_TYPES = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const

const NOT_BUILT = 'The web pages are not built on this server: run `npm run build`'

const HIDDEN = describeRoute({ hide: true })

// The page reaches only its own origin, and nothing in it may run inline: even markup that got
// past the sanitizer could neither execute nor load from elsewhere.
const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  referrerPolicy: 'no-referrer',
  crossOriginEmbedderPolicy: false,
})

const indexHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Claude Code API</title></head>
<body><h1>Claude Code API ${VERSION}</h1>
<ul><li><a href="/chat">Chat in the browser</a></li><li><a href="/admin">Dashboard</a> (admin keys)</li><li><a href="/docs">API reference</a> (<a href="/openapi.json">OpenAPI</a>)</li><li><a href="/health">Health</a></li></ul>
</body></html>`

const servePage = async (c: Context, assets: WebAssets | undefined, name: string) => {
  const page = await assets?.read(name)
  if (!page) throw new NotFoundError(NOT_BUILT)
  return c.body(page, 200, {
    'content-type': 'text/html; charset=utf-8',
    // Always revalidated: it names the current script and style.
    'cache-control': 'no-cache',
  })
}

const serveAsset = async (c: Context, assets: WebAssets | undefined) => {
  const file = c.req.param('file') ?? ''
  const kind = ASSET_NAME.exec(file)?.[1] as keyof typeof CONTENT_TYPES | undefined
  const body = kind && (await assets?.read(file))
  if (!kind || !body) throw new NotFoundError(`No such file: ${file}`)
  return c.body(body, 200, {
    'content-type': CONTENT_TYPES[kind],
    // The name carries a hash of the content.
    'cache-control': 'public, max-age=31536000, immutable',
  })
}

export const createWebRoutes = (assets: WebAssets | undefined) =>
  new Hono<AppEnv>()
    .get('/', HIDDEN, pageHeaders, (c) =>
      c.req.header('accept')?.includes('text/html')
        ? c.html(indexHtml)
        : c.json({
            service: 'claude-code-api',
            version: VERSION,
            links: {
              chat: '/chat',
              admin: '/admin',
              docs: '/docs',
              openapi: '/openapi.json',
              health: '/health',
            },
          })
    )
    .get('/chat', HIDDEN, pageHeaders, (c) => servePage(c, assets, 'chat.html'))
    .get('/admin', HIDDEN, pageHeaders, (c) => servePage(c, assets, 'admin.html'))
    .get('/chat/assets/:file', HIDDEN, pageHeaders, (c) => serveAsset(c, assets))
    .get('/admin/assets/:file', HIDDEN, pageHeaders, (c) => serveAsset(c, assets))
