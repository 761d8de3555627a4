// An ES module: browsers refuse to run it unless it is served with a JavaScript MIME type.
import { later } from "./helper.mjs";

const results = [];
const check = async (name, fn) => {
  try {
    const why = await fn();
    results.push(why === true ? `${name}: ok` : `${name}: FAIL (${why})`);
  } catch (e) {
    results.push(`${name}: FAIL (${e})`);
  }
};

await check("module", async () => (await later()) === "loaded" || "helper.mjs did not load");
await check("css", async () => {
  const color = getComputedStyle(document.getElementById("styled")).color;
  return color === "rgb(1, 2, 3)" || `color is ${color}`;
});
await check("image", async () => {
  const img = document.getElementById("pixel");
  if (!img.complete) await new Promise((ok, fail) => { img.onload = ok; img.onerror = fail; });
  return img.naturalWidth === 2 || `naturalWidth ${img.naturalWidth}`;
});
await check("wasm", async () => {
  // instantiateStreaming requires Content-Type: application/wasm.
  const { instance } = await WebAssembly.instantiateStreaming(fetch("answer.wasm"));
  return instance.exports.answer() === 42 || "wrong answer";
});
await check("range", async () => {
  const r = await fetch("data.txt", { headers: { Range: "bytes=2-5" } });
  const text = await r.text();
  return (r.status === 206 && text === "2345") || `status ${r.status}, body ${JSON.stringify(text)}`;
});
await check("etag", async () => {
  const r = await fetch("data.txt", { cache: "no-store" });
  return /^"[^"]+"$/.test(r.headers.get("ETag") || "") || `ETag ${r.headers.get("ETag")}`;
});

document.getElementById("verdict").textContent = results.join("\n") + "\ndone";
