import { connectTcp, RpcClient, BundledUpdateClient } from "../tools/link/index.js";
const [h,p] = "127.0.0.1:38609".split(":");
const link = await connectTcp(h!, Number(p));
console.log(await new BundledUpdateClient(new RpcClient(link)).start("other.bundle"));
link.close();
