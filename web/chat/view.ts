/** How a turn looks: the user's text and images, the reply as Markdown with its model, tokens and cost. */
import { imageUrl } from './images.js'
import { addCopyButtons, renderMarkdown } from './markdown.js'
import type { ReplyMeta, Turn } from './store.js'

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string) => {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

const money = (usd: number) =>
  usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toPrecision(2)}` : `$${usd.toFixed(2)}`

export const describeMeta = (meta: ReplyMeta) =>
  `${meta.model} · ${meta.input_tokens.toLocaleString('en')} in, ${meta.output_tokens.toLocaleString('en')} out tokens · ${money(meta.cost_usd)} · ${(meta.duration_ms / 1000).toFixed(1)} s`

const userBody = (turn: Turn) => {
  const body = el('div', 'body')
  if (turn.images?.length) {
    const strip = el('div', 'images')
    for (const [i, image] of turn.images.entries()) {
      const img = el('img')
      img.src = imageUrl(image)
      img.alt = `Attached image ${i + 1}`
      strip.append(img)
    }
    body.append(strip)
  }
  if (turn.droppedImages) {
    body.append(el('p', 'dropped', `${turn.droppedImages} image(s) not kept in this browser`))
  }
  if (turn.text) body.append(el('p', 'text', turn.text))
  return body
}

/** Fills an assistant turn's element from the turn (again as more text streams in). */
export const paintReply = (node: HTMLElement, turn: Turn, streaming: boolean) => {
  node.setAttribute('aria-busy', String(streaming))
  const body = node.querySelector<HTMLElement>('.body') ?? node.appendChild(el('div', 'body'))
  body.innerHTML = renderMarkdown(turn.text)
  if (!streaming) addCopyButtons(body)
  node.querySelector('.status')?.remove()
  node.querySelector('.meta')?.remove()
  if (streaming && !turn.text) node.append(el('p', 'status', 'Waiting for the model…'))
  if (turn.error) node.append(el('p', 'status error', turn.error))
  else if (turn.stopped) node.append(el('p', 'status', 'Stopped.'))
  if (turn.meta) node.append(el('p', 'meta', describeMeta(turn.meta)))
}

export const turnElement = (turn: Turn, streaming = false) => {
  const node = el('article', `turn ${turn.role}`)
  node.append(el('h2', 'who', turn.role === 'user' ? 'You' : 'Claude'))
  if (turn.role === 'user') node.append(userBody(turn))
  else paintReply(node, turn, streaming)
  return node
}
