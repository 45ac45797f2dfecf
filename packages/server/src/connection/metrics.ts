import { Metric } from "effect"

/** Sessions open now (TCP, Unix and in-memory). */
export const connectionsOpen = Metric.gauge("pgwire_connections_open")
export const connectionsTotal = Metric.counter("pgwire_connections_total", { incremental: true })
export const queriesTotal = Metric.counter("pgwire_queries_total", { incremental: true })
export const queryErrors = Metric.counter("pgwire_query_errors_total", { incremental: true })
