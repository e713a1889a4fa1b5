/**
 * The machinery behind `Session.make`. One loop fiber owns all mutable state
 * and takes inputs from a queue: frames from reader fibers, timer expiries,
 * connect results, inbound connections and commands. It decodes, runs
 * `Fsm.transition`, and carries out the actions without ever blocking: writes
 * go to a per-connection `Outbox` drained by a writer fiber, connects and
 * closes run in their own fibers.
 *
 * "Machines": the peer's FSM ("primary") and, while a second connection to
 * the same peer is in flight, that connection's own FSM ("secondary", RFC 4271
 * §8: one FSM per connection until collision detection picks one, §6.8).
 */
import {
  Cause,
  Deferred,
  Duration,
  Effect,
  ExecutionStrategy,
  Exit,
  FiberHandle,
  FiberMap,
  FiberSet,
  Option,
  PubSub,
  Queue,
  Random,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import { Context as WireContext, Family, Framer, Message, Notification, Open, RouteRefresh, Text } from "@kbgp/wire"
import type { WireError } from "@kbgp/wire"
import { type Action, type TimerName, timerNames } from "../Action.js"
import * as Collision from "../Collision.js"
import * as Event from "../Event.js"
import * as Fsm from "../Fsm.js"
import type { Negotiated } from "../Negotiation.js"
import {
  type Config,
  type Handle,
  type NotificationInfo,
  type Received,
  SessionError,
  type SessionEvent
} from "../Session.js"
import * as State from "../State.js"
import { type Connection, type ConnectOptions, Transport, type TransportError } from "../Transport.js"
import { Outbox } from "./Outbox.js"
import { Signal, until } from "./Signal.js"

/** OPEN, KEEPALIVE and NOTIFICATION do not depend on the negotiated context; this one decodes them before OPEN. */
const preOpenContext = WireContext.defaults
const KEEPALIVE = Message.encode(Message.keepalive, preOpenContext)

interface Conn {
  readonly id: number
  readonly initiator: Collision.Initiator
  readonly connection: Connection
  /** Reader and writer fibers (and, for outgoing connections, the transport's own resources). */
  readonly scope: Scope.CloseableScope
  readonly framer: Framer.Framer
  readonly outbox: Outbox
  /** The machine has negotiated (OpenConfirm or later): frames after the OPEN may be taken in batches. */
  negotiated: boolean
  /** The reader waits for `received` to drain (our own backpressure; the hold timer does not run on it). */
  readPaused: boolean
  readonly resumed: Signal
  dropped: boolean
  readonly writerDone: Deferred.Deferred<void>
  readonly closed: Deferred.Deferred<void>
}

interface Machine {
  readonly id: number
  state: State.State
  conn: Conn | undefined
  /** RFC 9687: the SendHold timer runs (its period), restarted on every completed write. */
  sendHoldMillis: number | undefined
}

type Input =
  | { readonly _tag: "Frames"; readonly conn: Conn; readonly frames: ReadonlyArray<Framer.Frame | WireError.WireError>; readonly ack: Deferred.Deferred<void> }
  | { readonly _tag: "ConnectionLost"; readonly conn: Conn; readonly error: TransportError | undefined }
  | { readonly _tag: "Timer"; readonly machine: number; readonly timer: TimerName; readonly generation: number }
  | { readonly _tag: "Connected"; readonly attempt: number; readonly connection: Connection; readonly scope: Scope.CloseableScope }
  | { readonly _tag: "ConnectFailed"; readonly attempt: number; readonly error: TransportError }
  | { readonly _tag: "Accept"; readonly connection: Connection; readonly done: Deferred.Deferred<boolean> }
  | { readonly _tag: "Command"; readonly event: Event.Event; readonly done: Deferred.Deferred<ReadonlyArray<Conn>> }

const hasOpenConnection = (name: State.Name): boolean => name === "OpenSent" || name === "OpenConfirm" || name === "Established"

const endpointText = (address: string, port: number): string => (address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`)

/** Names and RFC 9003 text of a NOTIFICATION (looking inside an RFC 8538 Hard Reset). */
export const describeNotification = (notification: Message.Notification): NotificationInfo => {
  const inner = Notification.unwrapHardReset(notification)
  const description =
    inner === undefined
      ? Notification.describe(notification.code, notification.subcode)
      : `${Notification.describe(notification.code, notification.subcode)} (${Notification.describe(inner.code, inner.subcode)})`
  const shutdown = Notification.shutdownCommunication(inner ?? notification)
  return shutdown === undefined ? { notification, description } : { notification, description, shutdown }
}

const notificationLine = (info: NotificationInfo): string =>
  `${info.notification.code}/${info.notification.subcode} ${info.description}` +
  (info.shutdown === undefined ? "" : `: "${info.shutdown.text}"${info.shutdown.issue === undefined ? "" : ` (${info.shutdown.issue} issue)`}`)

export const make = (config: Config): Effect.Effect<Handle, never, Transport | Scope.Scope> =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const sessionScope = yield* Effect.scope
    const peerPort = config.peerPort ?? 179
    const peerText = endpointText(config.peerAddress, peerPort)
    const mode = config.mode ?? (config.fsm.passive ? "passive" : "both")
    const fsmConfig = { ...config.fsm, passive: mode === "passive" }
    const receive = config.receive ?? true
    const receiveBuffer = config.receiveBuffer ?? 1024
    const sendBuffer = config.sendBuffer ?? 1024 * 1024
    const writeSize = config.writeSize ?? 64 * 1024
    const closeTimeout = Duration.decode(config.closeTimeout ?? "5 seconds")
    const connectOptions: ConnectOptions = {
      address: config.peerAddress,
      port: peerPort,
      timeout: config.connectTimeout ?? "30 seconds",
      ...(config.localAddress !== undefined ? { localAddress: config.localAddress } : {}),
      ...(config.localPort !== undefined ? { localPort: config.localPort } : {}),
      ...config.security
    }
    const seed = config.seed ?? (yield* Random.nextIntBetween(0, 0x7fffffff))

    const inputs = yield* Queue.unbounded<Input>()
    const events = yield* PubSub.unbounded<SessionEvent>()
    const stateRef = yield* SubscriptionRef.make<State.Name>("Idle")
    const inbox = yield* Queue.unbounded<Received>()
    const inboxSpace = new Signal()
    const timers = yield* FiberMap.make<string>()
    const connecting = yield* FiberHandle.make()
    const background = yield* FiberSet.make()
    // Connection scopes hang off this one, created before the stop finalizer so that they close after it.
    const connections = yield* Scope.fork(sessionScope, ExecutionStrategy.sequential)

    let nextMachine = 1
    let nextConn = 1
    let primary: Machine = { id: nextMachine++, state: State.initial(seed), conn: undefined, sendHoldMillis: undefined }
    let secondary: Machine | undefined = undefined
    /** Id of the outgoing connect whose result is still wanted. */
    let connectAttempt = 0
    const generations = new Map<string, number>()

    const publish = (event: SessionEvent) => PubSub.publish(events, event)
    const inboxSize = () => Option.getOrElse(inbox.unsafeSize(), () => 0)
    const deliver = (item: Received) => Effect.sync(() => void Queue.unsafeOffer(inbox, item))
    const offer = (input: Input) => Queue.offer(inputs, input)
    const machineOf = (conn: Conn): Machine | undefined =>
      primary.conn === conn ? primary : secondary !== undefined && secondary.conn === conn ? secondary : undefined

    // --- timers ---------------------------------------------------------------

    const timerKey = (m: Machine, timer: TimerName) => `${m.id}/${timer}`
    const bump = (key: string): number => {
      const g = (generations.get(key) ?? 0) + 1
      generations.set(key, g)
      return g
    }

    /** Sleep `millis`, then more while the reader is paused by our own consumer (the peer is not to blame). */
    const holdSleep = (conn: Conn | undefined, millis: number): Effect.Effect<void> =>
      Effect.zipRight(
        Effect.sleep(millis),
        Effect.suspend(() =>
          conn !== undefined && conn.readPaused
            ? Effect.zipRight(until(conn.resumed, () => !conn.readPaused), holdSleep(conn, millis))
            : Effect.void
        )
      )

    const startTimer = (m: Machine, timer: TimerName, millis: number) =>
      Effect.suspend(() => {
        const key = timerKey(m, timer)
        const generation = bump(key)
        if (timer === "SendHold") m.sendHoldMillis = millis
        const wait = timer === "Hold" ? holdSleep(m.conn, millis) : Effect.sleep(millis)
        return FiberMap.run(timers, key, Effect.zipRight(wait, offer({ _tag: "Timer", machine: m.id, timer, generation })))
      })

    const stopTimer = (m: Machine, timer: TimerName) =>
      Effect.suspend(() => {
        const key = timerKey(m, timer)
        bump(key)
        if (timer === "SendHold") m.sendHoldMillis = undefined
        return FiberMap.remove(timers, key)
      })

    /** Stop every timer of a machine that goes away (its later expiries find no machine and are dropped). */
    const retireTimers = (m: Machine) =>
      Effect.forEach(timerNames, (t) => Effect.zipRight(stopTimer(m, t), Effect.sync(() => generations.delete(timerKey(m, t)))), {
        discard: true
      })

    // --- connections ----------------------------------------------------------

    const closeConnection = (connection: Connection, scope: Scope.CloseableScope | undefined) =>
      Effect.zipRight(
        Effect.ignore(Effect.timeout(connection.close, closeTimeout)),
        scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
      )

    /** Reader: bytes → Framer → frames to the loop, one batch per chunk (split after an OPEN until negotiated). */
    const reader = (conn: Conn): Effect.Effect<void> => {
      const onChunk = (chunk: Uint8Array) =>
        Effect.gen(function* () {
          if (receive && inboxSize() >= receiveBuffer) {
            conn.readPaused = true
            yield* until(inboxSpace, () => inboxSize() < receiveBuffer)
            conn.readPaused = false
            conn.resumed.fire()
          }
          conn.framer.push(chunk)
          while (true) {
            const frames: Array<Framer.Frame | WireError.WireError> = []
            let failed = false
            for (let f = conn.framer.next(); f !== undefined; f = conn.framer.next()) {
              frames.push(f)
              if (f._tag === "WireError") {
                failed = true
                break
              }
              // The OPEN decides the receive context and the message size limit of what follows.
              if (!conn.negotiated && f.type === Message.MessageType.Open) break
            }
            if (frames.length === 0) return
            const ack = yield* Deferred.make<void>()
            yield* offer({ _tag: "Frames", conn, frames, ack })
            yield* Deferred.await(ack)
            // A header error is terminal (RFC 4271 §6.1): the loop drops the connection.
            if (failed) return yield* Effect.never
          }
        })
      return conn.connection.reads.pipe(
        Stream.runForEach(onChunk),
        Effect.matchEffect({
          onFailure: (error) => offer({ _tag: "ConnectionLost", conn, error }),
          onSuccess: () => offer({ _tag: "ConnectionLost", conn, error: undefined })
        })
      )
    }

    /** Writer: the outbox in large writes; every completed write restarts a running SendHold timer (RFC 9687). */
    const writer = (conn: Conn): Effect.Effect<void> =>
      conn.outbox
        .run(conn.connection.write, Effect.suspend(() => {
          const m = machineOf(conn)
          return m !== undefined && m.sendHoldMillis !== undefined ? startTimer(m, "SendHold", m.sendHoldMillis) : Effect.void
        }))
        .pipe(
          Effect.catchAll((error) => offer({ _tag: "ConnectionLost", conn, error })),
          Effect.ensuring(Deferred.succeed(conn.writerDone, undefined))
        )

    const attach = (m: Machine, connection: Connection, initiator: Collision.Initiator, owned: Scope.CloseableScope | undefined) =>
      Effect.gen(function* () {
        const scope = owned ?? (yield* Scope.fork(connections, ExecutionStrategy.sequential))
        const conn: Conn = {
          id: nextConn++,
          initiator,
          connection,
          scope,
          framer: Framer.make(),
          outbox: new Outbox(sendBuffer, Math.floor(sendBuffer / 2), writeSize),
          negotiated: false,
          readPaused: false,
          resumed: new Signal(),
          dropped: false,
          writerDone: yield* Deferred.make<void>(),
          closed: yield* Deferred.make<void>()
        }
        m.conn = conn
        yield* Effect.forkIn(reader(conn), scope)
        yield* Effect.forkIn(writer(conn), scope)
        yield* Effect.logDebug(`connection #${conn.id} up (${initiator === "local" ? "outgoing" : "incoming"})`).pipe(
          Effect.annotateLogs({ local: endpointText(connection.local.address, connection.local.port) })
        )
        yield* publish({ _tag: "Connected", initiator, local: connection.local, remote: connection.remote })
        return conn
      })

    /** Send what is queued (bounded by closeTimeout), close, release. Runs beside the loop. */
    const drop = (m: Machine) =>
      Effect.suspend(() => {
        const conn = m.conn
        if (conn === undefined) return Effect.void
        m.conn = undefined
        conn.dropped = true
        conn.outbox.close()
        const closer = Effect.ignore(Effect.timeout(Deferred.await(conn.writerDone), closeTimeout)).pipe(
          Effect.zipRight(closeConnection(conn.connection, conn.scope)),
          Effect.ensuring(Deferred.succeed(conn.closed, undefined))
        )
        return Effect.asVoid(FiberSet.run(background, closer))
      })

    /** Close an inbound connection we do not take; `done` learns of it once it is closed. */
    const refuse = (connection: Connection, detail: string, done: Deferred.Deferred<boolean>) =>
      Effect.gen(function* () {
        yield* Effect.logInfo(`refused connection from ${endpointText(connection.remote.address, connection.remote.port)}: ${detail}`)
        yield* publish({ _tag: "Refused", remote: connection.remote, detail })
        yield* FiberSet.run(background, Effect.zipRight(closeConnection(connection, undefined), Deferred.succeed(done, false)))
      })

    const abandonConnect = Effect.suspend(() => {
      connectAttempt++
      return FiberHandle.clear(connecting)
    })

    const startConnect = Effect.suspend(() => {
      const attempt = ++connectAttempt
      const attemptEffect = Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const scope = yield* Scope.fork(connections, ExecutionStrategy.sequential)
          const exit = yield* Effect.exit(restore(Scope.extend(transport.connect(connectOptions), scope)))
          if (Exit.isSuccess(exit)) {
            yield* offer({ _tag: "Connected", attempt, connection: exit.value, scope })
            return
          }
          yield* Scope.close(scope, Exit.void)
          const error = Cause.failureOption(exit.cause)
          if (Option.isSome(error)) yield* offer({ _tag: "ConnectFailed", attempt, error: error.value })
        })
      )
      return FiberHandle.run(connecting, attemptEffect)
    })

    // --- sending ----------------------------------------------------------------

    const sendBytes = (m: Machine, bytes: Uint8Array) =>
      Effect.sync(() => {
        if (m.conn !== undefined) m.conn.outbox.offer([bytes])
      })

    // --- the FSM ----------------------------------------------------------------

    /**
     * Report a change of the session's state around carrying out its actions:
     * the event first (so it precedes what the actions publish), the `state`
     * value last (so whoever waits for it finds the actions done).
     */
    const visibleChange = (from: State.Name, to: State.Name, event: Event.Tag, actions: Effect.Effect<void>) =>
      from === to
        ? actions
        : Effect.all([
            Effect.logInfo(`state ${from} -> ${to}`).pipe(Effect.annotateLogs({ event })),
            publish({ _tag: "StateChanged", from, to, event }),
            actions,
            SubscriptionRef.set(stateRef, to)
          ])

    interface Role {
      readonly primary: boolean
      /** The machine is being retired: only its connection-level actions run. */
      readonly retiring: boolean
    }

    const interpret = (m: Machine, actions: ReadonlyArray<Action>, how: Role) =>
      Effect.forEach(
        actions,
        (action): Effect.Effect<void> => {
          switch (action._tag) {
            case "SendOpen":
              return sendBytes(m, Message.encode(action.open, preOpenContext))
            case "SendKeepalive":
              return sendBytes(m, KEEPALIVE)
            case "SendNotification": {
              const info = describeNotification(action.notification)
              return Effect.all([
                sendBytes(m, Message.encode(action.notification, preOpenContext)),
                Effect.logWarning(`NOTIFICATION sent: ${notificationLine(info)}`),
                publish({ _tag: "NotificationSent", info })
              ])
            }
            case "StartTimer":
              return how.retiring ? Effect.void : startTimer(m, action.timer, action.millis)
            case "StopTimer":
              return stopTimer(m, action.timer)
            case "Connect":
              // A secondary machine already has its connection; a passive session never connects.
              return !how.primary || how.retiring || mode === "passive" ? Effect.void : startConnect
            case "DropConnection":
              return how.primary && !how.retiring ? Effect.zipRight(abandonConnect, drop(m)) : drop(m)
            case "ReleaseResources":
              return Effect.void
            case "DeliverUpdate":
              return receive && how.primary ? deliver(action.update) : Effect.void
            case "DeliverRouteRefresh":
              return receive && how.primary ? deliver(action.message) : Effect.void
            case "SessionEstablished": {
              const n = action.negotiated
              return Effect.all([
                Effect.logInfo(
                  `established: AS${n.peerAs} id ${Text.numberToIpv4(n.peerId)} hold ${n.holdTime}s keepalive ${n.keepaliveTime}s` +
                    ` families ${[...n.families].map(Family.format).join(",")}`
                ),
                publish({ _tag: "Established", negotiated: n }),
                receive ? deliver(action) : Effect.void
              ])
            }
            case "SessionDown": {
              // A connection that never got Established and is replaced by another is no session going down.
              if (!how.primary || (how.retiring && action.negotiated === undefined)) return Effect.void
              return Effect.all([
                Effect.logInfo(`session down: ${downLine(action)}`),
                publish({ _tag: "Down", reason: action.reason, negotiated: action.negotiated }),
                receive && action.negotiated !== undefined ? deliver(action) : Effect.void
              ])
            }
          }
        },
        { discard: true }
      )

    const downLine = (a: Action & { readonly _tag: "SessionDown" }): string =>
      a.reason._tag === "ConnectionLost"
        ? "connection lost"
        : a.reason._tag === "NotificationSent"
          ? `sent ${notificationLine(describeNotification(a.reason.notification))} (${a.reason.detail})`
          : `received ${notificationLine(describeNotification(a.reason.notification))}`

    /** Run one event through machine `m` and carry out the actions. */
    const feed = (m: Machine, event: Event.Event): Effect.Effect<void> =>
      Effect.suspend(() => {
        const before = m.state
        const [next, actions] = Fsm.transition(fsmConfig, before, event)
        m.state = next
        if (m.conn !== undefined && next.negotiated !== undefined && !m.conn.negotiated) {
          // RFC 8654 §4: the larger limit applies to what follows the OPENs (never to OPEN/KEEPALIVE: the Framer knows).
          m.conn.negotiated = true
          m.conn.framer.setExtendedMessage(next.negotiated.extendedMessage)
        }
        const lostConnection = !hasOpenConnection(next.name) && actions.some((a) => a._tag === "DropConnection")
        if (m === primary) {
          const heir = secondary
          if (lostConnection && heir !== undefined && heir.conn !== undefined && next.start !== undefined) {
            // The peer's other connection carries on: retire this one and promote that (RFC 4271 §6.8 spirit).
            heir.state = {
              ...heir.state,
              start: before.start,
              failures: before.failures,
              connectRetryCounter: before.connectRetryCounter
            }
            primary = heir
            secondary = undefined
            return visibleChange(
              before.name,
              heir.state.name,
              event._tag,
              Effect.all([
                interpret(m, actions, { primary: true, retiring: true }),
                retireTimers(m),
                drop(m),
                Effect.logInfo(`connection #${heir.conn.id} carries the session on`)
              ])
            )
          }
          return visibleChange(before.name, next.name, event._tag, interpret(m, actions, { primary: true, retiring: false }))
        }
        return Effect.gen(function* () {
          yield* interpret(m, actions, { primary: false, retiring: false })
          if (!hasOpenConnection(next.name) && (m.conn === undefined || next.name === "Idle")) {
            // A secondary connection that failed is not retried: the primary machine does that.
            yield* retireTimers(m)
            yield* drop(m)
            if (secondary === m) secondary = undefined
          }
        })
      })

    /** RFC 4271 §6.8: an OPEN arrived on `m`'s connection; compare with the other connection, if any. */
    const onOpen = (m: Machine, open: Message.Open, event: Event.Event) =>
      Effect.suspend(() => {
        const other = m === primary ? secondary : primary
        const mine = m.conn
        if (other === undefined || other.conn === undefined || mine === undefined) return feed(m, event)
        const decision = Collision.resolve({
          local: { bgpId: fsmConfig.bgpId, asn: fsmConfig.localAs },
          remote: { bgpId: open.bgpId, asn: Open.asn(open) },
          newInitiator: mine.initiator,
          existing: { state: other.state.name, initiator: other.conn.initiator },
          collisionDetectEstablishedState: fsmConfig.collisionDetectEstablishedState
        })
        switch (decision) {
          case "NoCollision":
            return feed(m, event)
          case "CloseNew":
            return Effect.zipRight(
              publish({ _tag: "CollisionResolved", kept: other.conn.initiator }),
              feed(m, Event.of("OpenCollisionDump"))
            )
          case "CloseExisting":
            return Effect.all([
              publish({ _tag: "CollisionResolved", kept: mine.initiator }),
              feed(other, Event.of("OpenCollisionDump")),
              feed(m, event)
            ])
        }
      })

    const onFrames = (conn: Conn, frames: ReadonlyArray<Framer.Frame | WireError.WireError>) =>
      Effect.gen(function* () {
        for (const frame of frames) {
          const m = machineOf(conn)
          if (m === undefined) return
          if (frame._tag === "WireError") {
            yield* feed(m, Event.fromError(frame))
            continue
          }
          const message = Message.decodeFrame(frame, m.state.negotiated?.rx ?? preOpenContext)
          if (message._tag === "WireError") {
            yield* Effect.logWarning(`malformed message: ${message.message}`)
            yield* feed(m, Event.fromError(message))
            continue
          }
          switch (message._tag) {
            case "Notification": {
              const info = describeNotification(message)
              yield* Effect.logWarning(`NOTIFICATION received: ${notificationLine(info)}`)
              yield* publish({ _tag: "NotificationReceived", info })
              break
            }
            case "Update":
              // RFC 7606: the session survives; say what was discarded or withdrawn.
              for (const issue of message.issues) {
                yield* Effect.logWarning(`UPDATE attribute ${issue.code}: ${issue.action}: ${issue.detail}`)
              }
              break
            case "Open":
              yield* onOpen(m, message, Event.fromMessage(message))
              continue
            default:
              break
          }
          yield* feed(m, Event.fromMessage(message))
        }
      })

    const createSecondary = (connection: Connection, initiator: Collision.Initiator, scope: Scope.CloseableScope | undefined) =>
      Effect.gen(function* () {
        // Started like a fresh FSM whose connection just came up (RFC 4271 §8: one FSM per connection).
        const id = nextMachine++
        const m: Machine = { id, state: State.initial(seed + id), conn: undefined, sendHoldMillis: undefined }
        secondary = m
        yield* attach(m, connection, initiator, scope)
        yield* feed(m, initiator === "remote" ? Event.of("ManualStart_with_PassiveTcpEstablishment") : Event.of("ManualStart"))
        yield* feed(m, initiator === "remote" ? Event.of("TcpConnectionConfirmed") : Event.of("Tcp_CR_Acked"))
      })

    const handle = (input: Input): Effect.Effect<void> => {
      switch (input._tag) {
        case "Frames":
          return onFrames(input.conn, input.frames).pipe(Effect.ensuring(Deferred.succeed(input.ack, undefined)))
        case "ConnectionLost": {
          const m = machineOf(input.conn)
          if (m === undefined) return Effect.void
          return Effect.zipRight(
            Effect.logInfo(`connection #${input.conn.id} lost: ${input.error?.message ?? "closed by the peer"}`),
            feed(m, Event.of("TcpConnectionFails"))
          )
        }
        case "Timer": {
          const m = primary.id === input.machine ? primary : secondary?.id === input.machine ? secondary : undefined
          if (m === undefined || generations.get(timerKey(m, input.timer)) !== input.generation) return Effect.void
          if (input.timer === "SendHold") m.sendHoldMillis = undefined
          return feed(m, Event.timerExpired(input.timer))
        }
        case "ConnectFailed":
          if (input.attempt !== connectAttempt) return Effect.void
          return Effect.gen(function* () {
            yield* Effect.logInfo(`connect failed: ${input.error.message}`)
            yield* publish({ _tag: "ConnectFailed", error: input.error })
            if (primary.conn === undefined && primary.state.name === "Connect") yield* feed(primary, Event.of("TcpConnectionFails"))
          })
        case "Connected":
          return Effect.gen(function* () {
            const stale = input.attempt !== connectAttempt
            if (!stale && primary.conn === undefined && (primary.state.name === "Connect" || primary.state.name === "Active")) {
              yield* attach(primary, input.connection, "local", input.scope)
              return yield* feed(primary, Event.of("Tcp_CR_Acked"))
            }
            if (!stale && mode !== "passive" && primary.conn !== undefined && secondary === undefined) {
              return yield* createSecondary(input.connection, "local", input.scope)
            }
            yield* FiberSet.run(background, closeConnection(input.connection, input.scope))
          })
        case "Accept":
          return Effect.gen(function* () {
            const c = input.connection
            if (mode === "active") return yield* refuse(c, "the session only connects (mode active)", input.done)
            if (primary.conn === undefined) {
              // RFC 4271 §8.2.2: Idle refuses incoming connections.
              if (primary.state.name !== "Connect" && primary.state.name !== "Active") {
                return yield* refuse(c, `session is ${primary.state.name}`, input.done)
              }
              yield* attach(primary, c, "remote", undefined)
              yield* feed(primary, Event.of("TcpConnectionConfirmed"))
            } else if (secondary === undefined) {
              yield* createSecondary(c, "remote", undefined)
            } else return yield* refuse(c, "two connections to the peer are already open", input.done)
            yield* Deferred.succeed(input.done, true)
          })
        case "Command":
          return Effect.gen(function* () {
            const closing: Array<Conn> = []
            const machines = input.event._tag === "ManualStop" && secondary !== undefined ? [secondary, primary] : [primary]
            for (const m of machines) {
              const conn = m.conn
              yield* feed(m, input.event)
              if (conn !== undefined && conn.dropped) closing.push(conn)
            }
            yield* Deferred.succeed(input.done, closing)
          })
      }
    }

    const command = (event: Event.Event) =>
      Effect.gen(function* () {
        const done = yield* Deferred.make<ReadonlyArray<Conn>>()
        yield* offer({ _tag: "Command", event, done })
        return yield* Deferred.await(done)
      })

    const stop = (reason?: string) =>
      Effect.gen(function* () {
        const text = reason ?? "administrative shutdown"
        const notification = Notification.shutdown(Notification.CeaseSubcode.AdministrativeShutdown, text)
        const closing = yield* command({ _tag: "ManualStop", notification })
        yield* Effect.forEach(closing, (c) => Deferred.await(c.closed), { discard: true })
      })

    const loop = Queue.take(inputs).pipe(
      Effect.flatMap((input) =>
        handle(input).pipe(Effect.catchAllCause((cause) => Effect.logError("session driver defect", cause)))
      ),
      Effect.forever
    )

    const annotate = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.annotateLogs(effect, { peer: peerText })
    yield* Effect.forkIn(annotate(loop), sessionScope)

    // Runs first on scope close (finalizers run in reverse): the loop and the closers still work.
    yield* Effect.addFinalizer(() =>
      annotate(
        Effect.ignore(Effect.timeout(stop(), Duration.sum(closeTimeout, closeTimeout))).pipe(
          Effect.zipRight(Queue.shutdown(inbox))
        )
      )
    )

    if (config.autoStart ?? true) yield* command(Event.of("ManualStart"))

    const send = (messages: ReadonlyArray<Uint8Array>, options?: { readonly session?: Negotiated }) =>
      Effect.suspend(() => {
        const m = primary
        const conn = m.conn
        if (m.state.name !== "Established" || conn === undefined || conn.dropped) {
          return Effect.fail(new SessionError({ reason: "NotEstablished", detail: `session is ${m.state.name}` }))
        }
        if (options?.session !== undefined && options.session !== m.state.negotiated) {
          return Effect.fail(new SessionError({ reason: "NotEstablished", detail: "the session was re-established since" }))
        }
        if (!conn.outbox.offer(messages)) {
          return Effect.fail(new SessionError({ reason: "ConnectionClosed", detail: "the connection is closing" }))
        }
        return Effect.flatMap(conn.outbox.awaitSpace, () =>
          conn.dropped
            ? Effect.fail(new SessionError({ reason: "ConnectionClosed", detail: "the connection closed while sending" }))
            : Effect.void
        )
      })

    const handleValue: Handle = {
      peer: { address: config.peerAddress, port: peerPort },
      state: SubscriptionRef.get(stateRef),
      states: stateRef.changes,
      awaitState: (name) => Stream.runDrain(Stream.take(Stream.filter(stateRef.changes, (s) => s === name), 1)),
      negotiated: Effect.sync(() => Option.fromNullable(primary.state.negotiated)),
      changes: Stream.fromPubSub(events),
      subscribe: PubSub.subscribe(events),
      received: Stream.fromQueue(inbox, { maxChunkSize: 256 }).pipe(
        Stream.mapChunks((chunk) => {
          inboxSpace.fire()
          return chunk
        })
      ),
      send,
      routeRefresh: (afi, safi, subtype = RouteRefresh.Subtype.Request) =>
        Effect.suspend(() => {
          const n = primary.state.negotiated
          if (primary.state.name !== "Established" || n === undefined) {
            return Effect.fail(new SessionError({ reason: "NotEstablished", detail: `session is ${primary.state.name}` }))
          }
          const needs = subtype === RouteRefresh.Subtype.Request ? n.routeRefresh : n.enhancedRouteRefresh
          if (!needs) {
            return Effect.fail(
              new SessionError({ reason: "Unsupported", detail: `the peer did not announce ${subtype === 0 ? "" : "enhanced "}route refresh` })
            )
          }
          return send([Message.encode(RouteRefresh.make(afi, safi, subtype), n.tx)])
        }),
      start: Effect.asVoid(command(Event.of("ManualStart"))),
      stop: (reason) => annotate(stop(reason)),
      signal: (event) => Effect.asVoid(command(event)),
      accept: (connection) =>
        Effect.gen(function* () {
          const done = yield* Deferred.make<boolean>()
          yield* offer({ _tag: "Accept", connection, done })
          return yield* Deferred.await(done)
        })
    }
    return handleValue
  })
