import { Effect } from "effect"
import type { Conn } from "../connection/Conn.js"
import type { ConnectionLost } from "../connection/ConnectionErrors.js"
import type { Notification, NotificationListener } from "./Notifications.js"

/**
 * One session's inbox of notifications. A notification arriving while the
 * session waits for the client's next message wakes its read and is sent at
 * once (the idle push); one arriving during a query, or while a transaction
 * is open, waits until the session is idle again (PostgreSQL delivers after
 * the transaction too).
 */
export class SessionNotifications implements NotificationListener {
  private pending: Array<Notification> = []

  constructor(private readonly conn: Conn) {}

  readonly deliver = (n: Notification): void => {
    this.pending.push(n)
    if (this.pending.length === 1) this.conn.transport.wake()
  }

  /** Sends what is pending when the session is idle outside a transaction (Conn's idle work). */
  readonly idleWork = (): Effect.Effect<void, ConnectionLost> | undefined => {
    if (this.pending.length === 0 || this.conn.transactionStatus !== "I") return undefined
    const list = this.pending
    this.pending = []
    for (const n of list) this.conn.send({ _tag: "NotificationResponse", processId: n.processId, channel: n.channel, payload: n.payload })
    return this.conn.flush
  }
}
