/** The lines written to the CLI's stdin: what travels where, and what the CLI must not run. */
import { describe, expect, it } from 'vitest'
import { initializeLine, userLine } from '../../src/adapters/node/cli-protocol/stdin.js'

describe('stdin lines', () => {
  it("starts a conversation with the record of /clear when asked, as the CLI's reset does", () => {
    const content = (line: string) => JSON.parse(line).message.content
    expect(content(userLine('hi'))).toEqual([{ type: 'text', text: 'hi' }])
    const noted = content(userLine('hi', { clearNote: true }))
    expect(noted.map((b: { text: string }) => b.text.slice(0, 24))).toEqual([
      '<local-command-caveat>Th',
      '<command-name>/clear</co',
      '<local-command-stdout></',
      'hi',
    ])
  })

  it('carries system prompts and schemas in initialize, never on argv', () => {
    const line = JSON.parse(
      initializeLine({
        prompt: 'x',
        systemPrompt: 'Be brief.',
        appendSystemPrompt: 'And kind.',
        jsonSchema: { type: 'object' },
      })
    )
    expect(line.request).toEqual({
      subtype: 'initialize',
      systemPrompt: ['Be brief.'],
      appendSystemPrompt: 'And kind.',
      jsonSchema: { type: 'object' },
    })
  })

  it('keeps a prompt that starts with / from being read as a slash command', () => {
    const slash = JSON.parse(userLine('/login now'))
    expect(slash.message.content).toEqual([
      { type: 'text', text: '/login now' },
      { type: 'text', text: '' },
    ])
    const plain = JSON.parse(userLine('hello'))
    expect(plain.message.content).toEqual([{ type: 'text', text: 'hello' }])
  })

  it('keeps a prompt with a slash command after its context an ordinary prompt', () => {
    const reminder = {
      type: 'text' as const,
      text: '<system-reminder>\nToday.\n</system-reminder>',
    }
    const line = JSON.parse(userLine([{ type: 'text', text: '/clear' }, reminder]))
    expect(line.message.content).toEqual([
      { type: 'text', text: '/clear' },
      reminder,
      { type: 'text', text: '' },
    ])
  })
})
