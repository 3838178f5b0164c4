/** The chat page: wires the form, the conversation list and the stream together. */
import { type ChatError, createApi, type QueryBody } from './api.js'
import { addImages, imageUrl } from './images.js'
import {
  type Conversation,
  loadState,
  newConversation,
  type StoredImage,
  saveState,
  type Turn,
  titleOf,
} from './store.js'
import { historyOf, metaOf } from './turns.js'
import { paintReply, turnElement } from './view.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

const keyField = $<HTMLInputElement>('key')
const modelField = $<HTMLSelectElement>('model')
const log = $<HTMLElement>('log')
const notice = $<HTMLElement>('notice')
const form = $<HTMLFormElement>('composer')
const message = $<HTMLTextAreaElement>('message')
const sendButton = $<HTMLButtonElement>('send')
const stopButton = $<HTMLButtonElement>('stop')
const picker = $<HTMLInputElement>('picker')
const attachments = $<HTMLElement>('attachments')
const list = $<HTMLUListElement>('conversations')
const newButton = $<HTMLButtonElement>('new-chat')

const KEY_ITEM = 'claude-code-api.key'
const MODEL_ITEM = 'claude-code-api.model'
const MODELS_FAILED = 'Models could not be loaded.'

const state = loadState(localStorage)
const pending: StoredImage[] = []
let running: AbortController | undefined

const api = createApi(() => keyField.value)

const show = (text: string) => {
  notice.textContent = text
  notice.hidden = !text
}

const save = () => {
  const problem = saveState(localStorage, state)
  if (problem) show(problem)
}

const current = (): Conversation => {
  let conversation = state.conversations.find((c) => c.id === state.currentId)
  if (!conversation) {
    conversation = newConversation()
    state.conversations.unshift(conversation)
    state.currentId = conversation.id
  }
  return conversation
}

const paintList = () => {
  list.replaceChildren()
  for (const conversation of state.conversations) {
    const item = document.createElement('li')
    const open = document.createElement('button')
    open.type = 'button'
    open.textContent = conversation.title
    open.disabled = Boolean(running)
    if (conversation.id === state.currentId) open.setAttribute('aria-current', 'true')
    open.addEventListener('click', () => {
      state.currentId = conversation.id
      save()
      paintAll()
    })
    item.append(open)
    list.append(item)
  }
}

const paintAll = () => {
  log.replaceChildren(...current().turns.map((turn) => turnElement(turn)))
  paintList()
  log.scrollTop = log.scrollHeight
}

const paintAttachments = () => {
  attachments.replaceChildren(
    ...pending.map((image, i) => {
      const chip = document.createElement('span')
      chip.className = 'chip'
      const img = document.createElement('img')
      img.src = imageUrl(image)
      img.alt = `Image ${i + 1} to send`
      const remove = document.createElement('button')
      remove.type = 'button'
      remove.textContent = '×'
      remove.setAttribute('aria-label', `Remove image ${i + 1}`)
      remove.addEventListener('click', () => {
        pending.splice(i, 1)
        paintAttachments()
      })
      chip.append(img, remove)
      return chip
    })
  )
}

const attach = async (files: Iterable<File>) => {
  const problems = await addImages(files, pending)
  // Only this batch's problems: another batch finishing later must not hide them.
  if (problems.length) show(problems.join(' '))
  paintAttachments()
}

const setRunning = (controller: AbortController | undefined) => {
  running = controller
  sendButton.disabled = Boolean(controller)
  stopButton.disabled = !controller
  newButton.disabled = Boolean(controller)
  paintList()
}

const send = async () => {
  const text = message.value.trim()
  if (running || (!text && !pending.length)) return
  const conversation = current()
  const body: QueryBody = {
    prompt: text,
    model: modelField.value || 'haiku',
    ...(pending.length && {
      images: pending.map(({ data, media_type }) => ({ data, media_type })),
    }),
    ...(conversation.turns.length && { history: historyOf(conversation.turns) }),
  }
  const question: Turn = { role: 'user', text, ...(pending.length && { images: [...pending] }) }
  const reply: Turn = { role: 'assistant', text: '' }
  if (!conversation.turns.length) conversation.title = titleOf(text)
  conversation.turns.push(question, reply)
  conversation.updated = Date.now()
  message.value = ''
  pending.length = 0
  paintAttachments()
  show('')
  save()

  log.append(turnElement(question))
  const node = turnElement(reply, true)
  log.append(node)
  log.scrollTop = log.scrollHeight

  const controller = new AbortController()
  setRunning(controller)
  let frame = 0
  const repaint = () => {
    frame ||= requestAnimationFrame(() => {
      frame = 0
      paintReply(node, reply, true)
      log.scrollTop = log.scrollHeight
    })
  }
  try {
    for await (const event of api.query(body, controller.signal)) {
      if (event.type === 'chunk') {
        reply.text += event.text
        repaint()
      } else if (event.type === 'result') {
        reply.meta = metaOf(event, body.model)
      } else {
        reply.error = event.message
      }
    }
  } catch (error) {
    if (controller.signal.aborted) reply.stopped = true
    else reply.error = (error as ChatError).message || String(error)
  } finally {
    cancelAnimationFrame(frame)
    setRunning(undefined)
    paintReply(node, reply, false)
    conversation.updated = Date.now()
    save()
    message.focus()
  }
}

const loadModels = async () => {
  const wanted = localStorage.getItem(MODEL_ITEM) ?? modelField.value
  try {
    const models = await api.models()
    modelField.replaceChildren(
      ...models.map((model) => new Option(`${model.name} (${model.id})`, model.id))
    )
    if (models.some((model) => model.id === wanted)) modelField.value = wanted
    // Clears only its own earlier failure, never another message.
    if (notice.textContent?.startsWith(MODELS_FAILED)) show('')
  } catch (error) {
    show(`${MODELS_FAILED} ${(error as Error).message}`)
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault()
  void send()
})
message.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault()
    void send()
  }
})
message.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files ?? [])]
  if (files.length) {
    event.preventDefault()
    void attach(files)
  }
})
form.addEventListener('dragover', (event) => event.preventDefault())
form.addEventListener('drop', (event) => {
  event.preventDefault()
  void attach([...(event.dataTransfer?.files ?? [])])
})
picker.addEventListener('change', () => {
  void attach([...(picker.files ?? [])])
  picker.value = ''
})
stopButton.addEventListener('click', () => running?.abort())
newButton.addEventListener('click', () => {
  const conversation = current()
  if (conversation.turns.length) {
    const fresh = newConversation()
    state.conversations.unshift(fresh)
    state.currentId = fresh.id
    save()
  }
  paintAll()
  message.focus()
})
keyField.value = sessionStorage.getItem(KEY_ITEM) ?? ''
keyField.addEventListener('input', () => sessionStorage.setItem(KEY_ITEM, keyField.value))
keyField.addEventListener('change', () => void loadModels())
modelField.addEventListener('change', () => localStorage.setItem(MODEL_ITEM, modelField.value))

setRunning(undefined)
paintAll()
void loadModels()
