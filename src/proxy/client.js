// hotdev live reload: injected into every full HTML document by hotdev's dev proxy.
// Listens to /__hotdev/events; reloads, swaps stylesheets and shows build errors. Never
// navigates except on `reload`, and never touches the page otherwise.
(function () {
  if (window.__hotdev) return;
  window.__hotdev = true;
  var instance = null;
  var OVERLAY = "__hotdev_overlay";
  var source = new EventSource("/__hotdev/events");

  function data(event) {
    try { return JSON.parse(event.data); } catch (e) { return null; }
  }

  source.addEventListener("hello", function (event) {
    var hello = data(event) || {};
    // Another id: hotdev itself restarted while this page was open.
    if (instance !== null && hello.id !== instance) location.reload();
    instance = hello.id;
    document.documentElement.setAttribute("data-hotdev", "connected");
  });

  source.addEventListener("reload", function () { location.reload(); });

  // A changed file path ("static/app.css") and an href path ("/app.css") match when one ends
  // with the other at a "/" boundary.
  function matches(href, path) {
    var a = href.replace(/^\/+/, ""), b = path.replace(/^\/+/, "");
    function endsAt(long, short) {
      return long === short || (long.length > short.length &&
        long.slice(-short.length - 1) === "/" + short);
    }
    return endsAt(a, b) || endsAt(b, a);
  }

  source.addEventListener("css", function (event) {
    var paths = data(event) || [];
    var links = Array.prototype.slice.call(
      document.querySelectorAll('link[rel~="stylesheet"][href]'));
    var hit = links.filter(function (link) {
      var url = new URL(link.href, location.href);
      return paths.some(function (p) { return matches(url.pathname, p); });
    });
    // A stylesheet hotdev cannot pin down (e.g. imported): swap them all.
    (hit.length ? hit : links).forEach(function (link) {
      var url = new URL(link.href, location.href);
      url.searchParams.set("hotdev", Date.now());
      var next = link.cloneNode();
      next.href = url.toString();
      next.onload = next.onerror = function () { link.remove(); };
      link.after(next);
    });
  });

  var LOCATION = /((?:\.{0,2}\/)?[\w.\-\/]+\.\w+):(\d+)(?::(\d+))?/;

  function line(text) {
    var div = document.createElement("div");
    var m = LOCATION.exec(text);
    if (!m) { div.textContent = text; return div; }
    var mark = document.createElement("span");
    mark.style.cssText = "color:#ffd866;font-weight:bold;text-decoration:underline";
    mark.textContent = m[0];
    div.append(text.slice(0, m.index), mark, text.slice(m.index + m[0].length));
    return div;
  }

  function clear() {
    var old = document.getElementById(OVERLAY);
    if (old) old.remove();
  }

  source.addEventListener("build_failed", function (event) {
    var lines = (data(event) || {}).lines || [];
    clear();
    var box = document.createElement("div");
    box.id = OVERLAY;
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
      "background:rgba(24,8,8,.94);color:#f8f8f2;font:13px/1.5 ui-monospace,monospace;" +
      "padding:24px;white-space:pre-wrap;text-align:left";
    var close = document.createElement("button");
    close.textContent = "\u00d7";
    close.title = "Dismiss (Esc)";
    close.style.cssText = "position:fixed;top:8px;right:12px;font:20px monospace;" +
      "background:none;color:#f8f8f2;border:0;cursor:pointer";
    close.onclick = clear;
    var title = document.createElement("div");
    title.style.cssText = "color:#ff6188;font-weight:bold;margin-bottom:12px";
    title.textContent = "hotdev: " + ((data(event) || {}).title ||
      "build failed — the page shows the last good version");
    box.append(close, title);
    lines.forEach(function (text) { box.append(line(text)); });
    document.body.append(box);
  });

  source.addEventListener("clear", clear);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") clear();
  });
})();
