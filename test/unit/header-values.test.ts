/**
 * Header values made from what a client sends: a Responses tool type with CR/LF or characters
 * above 0xFF was a 500 (the header could not be set); it is named, made safe, and answered.
 */
import { describe, expect, it } from 'vitest'
import { headerValue } from '../../src/http/header-value.js'
import { setupApp } from '../helpers/fake-app.js'

describe('header values from client fields', () => {
  it('keep printable ASCII only, at most 1 KiB', () => {
    expect(headerValue('web_search')).toBe('web_search')
    expect(headerValue('a\r\nx-evil: 1')).toBe('a??x-evil: 1')
    expect(headerValue('snöman ☃')).toBe('sn?man ?')
    expect(headerValue('x'.repeat(5000))).toHaveLength(1024)
  })

  it('answer a Responses request whose unknown tool types carry CR/LF and non-Latin-1 text', async () => {
    const { post } = setupApp()
    const res = await post('/v1/responses', {
      model: 'haiku',
      input: 'hi',
      tools: [{ type: 'evil\r\nset-cookie: x=1' }, { type: 'snowman☃' }],
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ignored-tools')).toBe('evil??set-cookie: x=1, snowman?')
    expect(res.headers.get('set-cookie')).toBeNull()
  })
})
