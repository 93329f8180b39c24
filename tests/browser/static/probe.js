// Runs one cross-origin request the way a front end would and reports what the page
// could observe: status, body and the response headers readable from script.
window.corsProbe = async function (o) {
  const readHeaders = (pairs) => {
    const out = {};
    for (const [k, v] of pairs) out[k.toLowerCase()] = v;
    return out;
  };
  if (o.api === "xhr") {
    return await new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(o.method, o.url, true);
      xhr.withCredentials = o.credentials === "include";
      for (const [k, v] of Object.entries(o.headers || {})) xhr.setRequestHeader(k, v);
      xhr.onload = () => {
        const pairs = xhr.getAllResponseHeaders().trim().split(/\r?\n/)
          .filter((line) => line.includes(":"))
          .map((line) => [line.slice(0, line.indexOf(":")).trim(), line.slice(line.indexOf(":") + 1).trim()]);
        resolve({ ok: true, status: xhr.status, headers: readHeaders(pairs),
                  body: String(xhr.responseText).slice(0, 4000), url: xhr.responseURL, origin: self.origin });
      };
      xhr.onerror = () => resolve({ ok: false, error: "XMLHttpRequest network error", origin: self.origin });
      xhr.send(o.body === undefined ? null : o.body);
    });
  }
  const init = { method: o.method, headers: o.headers || {}, credentials: o.credentials || "omit", mode: "cors" };
  if (o.body !== undefined && o.body !== null) init.body = o.body;
  try {
    const r = await fetch(o.url, init);
    const body = await r.text();
    return { ok: true, status: r.status, headers: readHeaders(r.headers.entries()),
             body: body.slice(0, 4000), url: r.url, origin: self.origin };
  } catch (e) {
    return { ok: false, error: String(e), origin: self.origin };
  }
};
window.probeReady = true;
