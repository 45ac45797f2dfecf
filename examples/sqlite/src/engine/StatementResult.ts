import type { Stream } from "effect"
import type { Column } from "./columnTypes.js"
import type { SqlError, SqlNotice } from "./SqlError.js"

/** How a statement moved the session's transaction (what ReadyForQuery's status follows). */
export type TransactionChange = "begin" | "commit" | "rollback" | "rollbackToSavepoint"

/** Side effects of a statement besides its result. */
export interface StatementEffects {
  readonly transaction: TransactionChange | undefined
  readonly notices: ReadonlyArray<SqlNotice>
  /** Reported settings that changed (ParameterStatus). */
  readonly parameterChanges: ReadonlyArray<readonly [name: string, value: string]>
}

/** A statement that returns rows: columns now, rows as they are read. */
export interface RowsResult extends StatementEffects {
  readonly _tag: "Rows"
  readonly columns: ReadonlyArray<Column>
  /** Rows with values normalized to their column's PostgreSQL type; pulling drives the lane. */
  readonly rows: Stream.Stream<ReadonlyArray<unknown>, SqlError>
  /** The command tag once `rowCount` rows were sent ("SELECT 3", "INSERT 0 3" for RETURNING…). */
  readonly commandTag: (rowCount: number) => string
}

/** A statement without rows. */
export interface CommandResult extends StatementEffects {
  readonly _tag: "Command"
  readonly commandTag: string
}

export type StatementResult = RowsResult | CommandResult

/** A statement's result with its rows read (SqliteSession.query). */
export interface CollectedResult extends StatementEffects {
  readonly columns: ReadonlyArray<Column> | undefined
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
  readonly commandTag: string
}
