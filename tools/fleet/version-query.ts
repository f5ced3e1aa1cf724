// A rollout's query on reported versions: comparisons on the device's targets version, all of
// which must hold, separated by spaces or commas: "<5", ">=2 <5", "=3", "!=4".
import { InputError } from "../format/index.js";

type Operator = "<" | "<=" | ">" | ">=" | "=" | "!=";
export type VersionQuery = { op: Operator; version: number }[];

const TERM = /^(<=|>=|!=|<|>|=)?(\d{1,10})$/;

export function parseVersionQuery(text: string): VersionQuery {
  const terms = text.split(/[\s,]+/).filter(Boolean);
  if (terms.length === 0) throw new InputError(`version query ${JSON.stringify(text)} is empty: write comparisons such as "<5" or ">=2 <5"`);
  return terms.map((term) => {
    const match = TERM.exec(term);
    if (!match || Number(match[2]) > 0xffff_ffff) {
      throw new InputError(`version query term ${JSON.stringify(term)} is not a comparison: use <, <=, >, >=, = or != and a targets version (e.g. ">=2 <5")`);
    }
    return { op: (match[1] ?? "=") as Operator, version: Number(match[2]) };
  });
}

export function matchesVersionQuery(query: VersionQuery, version: number): boolean {
  return query.every(({ op, version: v }) => {
    switch (op) {
      case "<": return version < v;
      case "<=": return version <= v;
      case ">": return version > v;
      case ">=": return version >= v;
      case "=": return version === v;
      case "!=": return version !== v;
    }
  });
}
