// The firmware's output is lines of "<kind> <name> key=value key=value ...": parsed here once
// for the runner, the report and the test.

export interface OutputLine {
  kind: string;
  name: string;
  fields: Record<string, string>;
}

export function parseLine(line: string): OutputLine {
  const [kind = "", name = "", ...rest] = line.trim().split(/\s+/);
  const fields: Record<string, string> = {};
  for (const token of rest) {
    const eq = token.indexOf("=");
    if (eq > 0) fields[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return { kind, name, fields };
}

/** The line of the given kind and name, or an Error quoting what the firmware did print. */
export function findLine(lines: string[], kind: string, name: string): OutputLine {
  for (const line of lines) {
    const parsed = parseLine(line);
    if (parsed.kind === kind && parsed.name === name) return parsed;
  }
  throw new Error(`the firmware printed no "${kind} ${name}" line; it printed:\n${lines.join("\n")}`);
}

/** A numeric field, or an Error naming the line. */
export function numberField(line: OutputLine, key: string): number {
  const value = Number(line.fields[key]);
  if (line.fields[key] === undefined || !Number.isFinite(value)) {
    throw new Error(`"${line.kind} ${line.name}" has no numeric ${key}= field`);
  }
  return value;
}
