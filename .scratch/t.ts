import { wireSchema, encode, decode } from "../tools/link/proto.js";
const s = wireSchema();
const b = encode(s.RpcPacket, { type: 1, channel_id: 1, service_id: 0xdeadbeef, method_id: 5, payload: new Uint8Array([1,2]), call_id: 9 });
console.log(Buffer.from(b).toString("hex"), decode(s.RpcPacket, b), s.ChunkType, s.State);
const c = decode(s.Chunk, encode(s.Chunk, { type: 0, offset: 0, session_id: 3 }));
console.log(c);
