/**
 * What a Worker and the key's Durable Object say to each other about background responses, as
 * schemas both ends use: the object validates what it is sent with them, and the Worker
 * (durable-background-log.ts) builds its requests as their types and parses the replies.
 */
import * as v from 'valibot'
import { ResponsesStreamEvent } from '../../contract/responses-events.js'

const Events = v.array(ResponsesStreamEvent)
const Snapshot = v.record(v.string(), v.unknown())

export const OpenBackground = v.object({ owner: v.string(), events: Events, snapshot: Snapshot })
export type OpenBackground = v.InferOutput<typeof OpenBackground>

export const AppendBackground = v.object({ events: Events, snapshot: Snapshot, done: v.boolean() })
export type AppendBackground = v.InferOutput<typeof AppendBackground>

/** A page of a run's events after a sequence number; `done` once its last one is among them. */
export const BackgroundEvents = v.object({ done: v.boolean(), events: Events })

export const StopReply = v.object({ stopping: v.boolean() })
export type StopReply = v.InferOutput<typeof StopReply>

export const StoppedReply = v.object({ stop: v.boolean() })
export type StoppedReply = v.InferOutput<typeof StoppedReply>
