// Line numbers in YAML files the host tools read (the signer's policy, the release rules), so a
// refusal names the line a person must fix rather than a JSON path they must translate.
import { isMap, isPair, isScalar, type Document, type LineCounter } from "yaml";

/** Line of the node at a JSON-pointer path (or of the key `key` inside it); 1 when not found. */
export function yamlLineOf(doc: Document, counter: LineCounter, pointer: string, key?: string): number {
  const path = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~")).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const node = path.length ? doc.getIn(path, true) : doc.contents;
  let range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    range = (pair?.key as { range?: [number, number, number] } | undefined)?.range ?? range;
  }
  return range ? counter.linePos(range[0]).line : 1;
}
