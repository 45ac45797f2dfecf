import { Effect } from "effect"
import { makeNotifications, type Notification, type NotificationsShape } from "../notifications/Notifications.js"

/**
 * A worker's notification hub: a NOTIFY is delivered to this worker's
 * listeners and relayed (through the primary) to every other worker, which
 * delivers it with `deliverRelayed`. Order is kept per sending worker (one
 * IPC channel each), not across workers.
 */
export interface ClusterNotifications extends NotificationsShape {
  readonly deliverRelayed: (notification: Notification) => Effect.Effect<void>
}

export const makeClusterNotifications = (relay: (notification: Notification) => void): Effect.Effect<ClusterNotifications> =>
  Effect.map(makeNotifications(), (local) => ({
    ...local,
    notify: (channel, payload = "", options) =>
      Effect.zipRight(
        local.notify(channel, payload, options),
        Effect.sync(() => relay({ channel, payload, processId: options?.fromProcessId ?? 0 }))
      ),
    deliverRelayed: (n) => local.notify(n.channel, n.payload, { fromProcessId: n.processId })
  }))
