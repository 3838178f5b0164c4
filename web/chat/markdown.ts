/**
 * Replies as Markdown, safely: marked renders (GitHub flavour: tables, fenced code), raw HTML in a
 * reply is shown as text, images become links (nothing loads from elsewhere), and DOMPurify keeps
 * only plain formatting tags. The page's Content-Security-Policy is the second wall.
 */
import DOMPurify from 'dompurify'
import { Marked } from 'marked'

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch
  )

const markdown = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) => `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
  },
})

const ALLOWED_TAGS = (
  'a b blockquote br code del em h1 h2 h3 h4 h5 h6 hr i input li ol p pre s strong sub sup ' +
  'table tbody td th thead tr ul'
).split(' ')
const ALLOWED_ATTR = ['href', 'title', 'class', 'start', 'align', 'type', 'checked', 'disabled']

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer')
  }
  // Task-list checkboxes only, never an input the reader could type into.
  if (node.tagName === 'INPUT' && node.getAttribute('type') !== 'checkbox') node.remove()
})

/** Markdown → sanitized HTML, ready for `innerHTML`. */
export const renderMarkdown = (text: string): string =>
  DOMPurify.sanitize(markdown.parse(text, { async: false }), {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
  })

/** A copy button on every code block of a rendered reply. */
export const addCopyButtons = (root: HTMLElement) => {
  for (const pre of root.querySelectorAll('pre')) {
    if (pre.querySelector('button.copy')) continue
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'copy'
    button.textContent = 'Copy'
    button.setAttribute('aria-label', 'Copy code')
    button.addEventListener('click', async () => {
      const code = pre.querySelector('code')?.textContent ?? ''
      try {
        await navigator.clipboard.writeText(code)
        button.textContent = 'Copied'
      } catch {
        button.textContent = 'Copy failed'
      }
      setTimeout(() => {
        button.textContent = 'Copy'
      }, 1_500)
    })
    pre.append(button)
  }
}
