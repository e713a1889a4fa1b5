/** Sample introspection views shared by the status, metrics and table tests. */
import type { Introspection } from "@kbgp/speaker"
import { peerStatus, routeView } from "./FakeSpeaker.js"

export const torA: Introspection.PeerStatus = peerStatus({
  name: "tor-a",
  address: "192.0.2.254",
  asn: 65000,
  state: "Established",
  uptime: 3723,
  establishedAt: 1_700_000_000_000,
  establishedCount: 3,
  negotiated: {
    peerAs: 65000,
    peerId: "192.0.2.254",
    localId: "192.0.2.1",
    ebgp: true,
    holdTime: 9,
    keepaliveTime: 3,
    families: ["ipv4-unicast", "ipv6-unicast"],
    asn4: true,
    routeRefresh: true,
    enhancedRouteRefresh: true,
    extendedMessage: true,
    gracefulRestart: { families: ["ipv4-unicast"], notification: true, peerRestarting: false, peerRestartTime: 120, peerForwarding: [] },
    longLivedGracefulRestart: undefined,
    addPath: { receive: [], send: [] },
    extendedNextHop: { receive: [], send: [] },
    fqdn: undefined
  },
  messages: {
    received: { total: 12, open: 1, update: 3, notification: 0, keepalive: 8, routeRefresh: 0 },
    sent: { total: 15, open: 1, update: 5, notification: 1, keepalive: 8, routeRefresh: 0 }
  },
  families: [
    { family: "ipv4-unicast", received: 2, accepted: 1, advertised: 3, notSent: 0, stale: 0 },
    { family: "ipv6-unicast", received: 1, accepted: 1, advertised: 1, notSent: 0, stale: 0 }
  ],
  lastError: { at: 1_699_999_000_000, kind: "received", description: "Cease / Administrative Shutdown", code: 6, subcode: 2, shutdown: "maintenance" },
  updateGroup: 1
})

export const torB: Introspection.PeerStatus = peerStatus({
  name: "tor-b",
  address: "2001:db8::fe",
  asn: 65000,
  passive: true,
  state: "Active",
  gracefulRestart: "restarting",
  families: [{ family: "ipv6-unicast", received: 4, accepted: 0, advertised: 0, notSent: 0, stale: 4 }]
})

export const received: ReadonlyArray<Introspection.RouteView> = [
  routeView({ prefix: "0.0.0.0/0", nextHop: "192.0.2.254", asPath: "65000", localPref: 200, communities: ["65000:1"] }),
  routeView({ prefix: "10.9.0.0/16", nextHop: "192.0.2.254", asPath: "65000 65100 {65200,65201}", accepted: false, med: 7 })
]

export const advertised: ReadonlyArray<Introspection.RouteView> = [
  routeView({
    prefix: "198.51.100.10/32",
    nextHop: "192.0.2.1",
    asPath: "65001",
    communities: ["no-export", "65001:100"],
    largeCommunities: ["65001:1:10"],
    extendedCommunities: ["rt:65001:20"]
  }),
  routeView({ prefix: "2001:db8:100::10/128", nextHop: "2001:db8::1", asPath: "65001 65010", origin: "incomplete" })
]
