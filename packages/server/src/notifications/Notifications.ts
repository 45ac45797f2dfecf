import { Context, Effect, Layer, PubSub, Stream } from "effect"

/** A NOTIFY: what NotificationResponse carries. */
export interface Notification {
  readonly channel: string
  readonly payload: string
  /** The process id of the notifying session (0 when it came from outside any session). */
  readonly processId: number
}

/** Something that receives the notifications of the channels it listens on (a session, or your own code). */
export interface NotificationListener {
  /** Called synchronously by `notify`; must not block. */
  readonly deliver: (notification: Notification) => void
}

/**
 * The notification hub shared by the sessions of a server (LISTEN/NOTIFY).
 * The protocol gives a channel no meaning: handlers call `session.listen`,
 * `session.unlisten` and `session.notify` (or `notify` here, e.g. from
 * application code outside any query); when a NOTIFY inside a transaction is
 * published (at commit, in PostgreSQL) is the handler's choice.
 */
export interface NotificationsShape {
  /** Publishes to every listener of `channel` now, and to `stream`. */
  readonly notify: (
    channel: string,
    payload?: string,
    options?: { readonly fromProcessId?: number | undefined }
  ) => Effect.Effect<void>
  readonly listen: (channel: string, listener: NotificationListener) => Effect.Effect<void>
  /** Stops `listener` listening on `channel`, or on every channel with "*". */
  readonly unlisten: (channel: string, listener: NotificationListener) => Effect.Effect<void>
  /** The channels `listener` listens on. */
  readonly channels: (listener: NotificationListener) => Effect.Effect<ReadonlyArray<string>>
  /**
   * Every notification published, whatever its channel (a PubSub
   * subscription per run of the stream; a subscriber that falls more than
   * `streamCapacity` behind loses the oldest).
   */
  readonly stream: Stream.Stream<Notification>
}

export interface NotificationsOptions {
  /** How far a `stream` subscriber may fall behind (default 10,000 notifications). */
  readonly streamCapacity?: number | undefined
}

/** A hub: listeners by channel for delivery to sessions, and a sliding PubSub for `stream`. */
export const makeNotifications = (options: NotificationsOptions = {}): Effect.Effect<NotificationsShape> =>
  Effect.map(PubSub.sliding<Notification>(options.streamCapacity ?? 10_000), (hub) => {
    const byChannel = new Map<string, Set<NotificationListener>>()
    const byListener = new Map<NotificationListener, Set<string>>()
    const remove = (channel: string, listener: NotificationListener) => {
      const set = byChannel.get(channel)
      if (set === undefined) return
      set.delete(listener)
      if (set.size === 0) byChannel.delete(channel)
    }
    return {
      notify: (channel, payload = "", o) =>
        Effect.suspend(() => {
          const n: Notification = { channel, payload, processId: o?.fromProcessId ?? 0 }
          const listeners = byChannel.get(channel)
          if (listeners !== undefined) for (const l of listeners) l.deliver(n)
          return Effect.asVoid(PubSub.publish(hub, n))
        }),
      listen: (channel, listener) =>
        Effect.sync(() => {
          let set = byChannel.get(channel)
          if (set === undefined) byChannel.set(channel, (set = new Set()))
          set.add(listener)
          let mine = byListener.get(listener)
          if (mine === undefined) byListener.set(listener, (mine = new Set()))
          mine.add(channel)
        }),
      unlisten: (channel, listener) =>
        Effect.sync(() => {
          const mine = byListener.get(listener)
          if (mine === undefined) return
          if (channel === "*") {
            for (const c of mine) remove(c, listener)
            byListener.delete(listener)
            return
          }
          remove(channel, listener)
          mine.delete(channel)
          if (mine.size === 0) byListener.delete(listener)
        }),
      channels: (listener) => Effect.sync(() => [...(byListener.get(listener) ?? [])]),
      stream: Stream.fromPubSub(hub)
    }
  })

/**
 * The notification hub service. Without one in the server's context each
 * server has its own; provide this layer to the server and to your own code
 * (or to several servers) to share one.
 */
export class Notifications extends Context.Tag("@pgwire-ts/server/Notifications")<Notifications, NotificationsShape>() {
  static readonly layer: Layer.Layer<Notifications> = Layer.effect(Notifications, makeNotifications())

  static layerWith(options: NotificationsOptions): Layer.Layer<Notifications> {
    return Layer.effect(Notifications, makeNotifications(options))
  }
}
