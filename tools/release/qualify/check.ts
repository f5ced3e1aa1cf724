// One suite's run on one board: what it checked, its figures, and the first check that failed.
// A failed check ends the run as "fail" with its reason; so does any error on the way (the agent
// refusing a call, a wire that gives up): a bad bundle is a result, never an exception.
import type { BoardRun } from "./types.js";

/** A check that did not hold: the run's failure reason. */
export class CheckFailed extends Error {}

/** A run that could not happen here (a tool or firmware missing): the reason for a skip. */
export class CannotRun extends Error {}

export class BoardCheck {
  readonly checked: string[] = [];
  readonly figures: Record<string, number> = {};

  /** Records `what` when `problems` is empty, else fails the run with them. */
  expect(what: string, problems: string[] | string | null | undefined): void {
    const list = problems === null || problems === undefined ? [] : typeof problems === "string" ? [problems] : problems;
    if (list.length) throw new CheckFailed(`${what}: ${list.join("; ")}`);
    this.checked.push(what);
  }

  fail(reason: string): never {
    throw new CheckFailed(reason);
  }

  figure(name: string, value: number): void {
    this.figures[name] = value;
  }
}

/** Runs `body` as one board's run of a suite and reports it; never throws. */
export async function runOnBoard(board: string, body: (check: BoardCheck) => Promise<void>, machine?: string): Promise<BoardRun> {
  const check = new BoardCheck();
  const started = performance.now();
  const run = (result: BoardRun["result"], reason?: string): BoardRun => ({
    board,
    ...(machine ? { machine } : {}),
    result,
    checked: check.checked,
    figures: check.figures,
    ...(reason ? { reason } : {}),
    durationMs: Math.round(performance.now() - started),
  });
  try {
    await body(check);
    return run("pass");
  } catch (err) {
    if (err instanceof CannotRun) return run("skipped", err.message);
    if (err instanceof CheckFailed) return run("fail", err.message);
    return run("fail", `${(err as Error).name === "Error" ? "" : `${(err as Error).name}: `}${(err as Error).message}`);
  }
}
