// pw_rpc's IDs: Pigweed's 65599 hash of a service's full name or a method's name (pw_rpc/ids.py).
export function pwRpcHash(name: string): number {
  let hash = name.length >>> 0;
  let coefficient = 65599;
  for (const char of name) {
    hash = (hash + Math.imul(coefficient, char.codePointAt(0)!)) >>> 0;
    coefficient = Math.imul(coefficient, 65599) >>> 0;
  }
  return hash;
}
