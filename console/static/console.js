// Vertice360 console: applies live fragments from the page's feed and keeps "hace 5 min" current.
// The server decides what each fragment says; this only puts it in place (see console/live.py).
(function () {
  "use strict";

  function relative(iso, now) {
    var seconds = Math.floor((now - Date.parse(iso)) / 1000);
    if (seconds < 0) return seconds > -60 ? "en unos instantes" : "más tarde";
    if (seconds < 60) return "recién";
    if (seconds < 3600) return "hace " + Math.floor(seconds / 60) + " min";
    if (seconds < 86400) return "hace " + Math.floor(seconds / 3600) + " h";
    var days = Math.floor(seconds / 86400);
    return days === 1 ? "hace 1 día" : "hace " + days + " días";
  }

  function refreshTimes(root) {
    var now = Date.now();
    (root || document).querySelectorAll("time[data-rel]").forEach(function (el) {
      var text = relative(el.getAttribute("datetime"), now);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  function flash(node) {
    node.classList.add("is-fresh");
    window.setTimeout(function () { node.classList.remove("is-fresh"); }, 1600);
  }

  function refresh(id) {
    var region = document.getElementById(id);
    if (region) htmx.trigger(region, "v360:refresh");
  }

  function apply(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    Array.prototype.slice.call(template.content.children).forEach(function (node) {
      var data = node.dataset;
      if (data.signout) { window.location.assign("/login"); return; }
      if (data.resync) { document.body.dispatchEvent(new CustomEvent("v360:resync")); return; }
      if (data.remove) { var gone = document.getElementById(data.remove); if (gone) gone.remove(); return; }
      if (data.refresh) {
        var region = document.getElementById(data.refresh);
        // data-unless="stage:Ganado": nothing to do when the region already shows that.
        var cut = (data.unless || "").indexOf(":");
        var same = cut > 0 && region && region.dataset[data.unless.slice(0, cut)] === data.unless.slice(cut + 1);
        if (region && !same) refresh(data.refresh);
        return;
      }
      if (!node.id) return;
      var existing = document.getElementById(node.id);
      var box = data.into ? document.querySelector(data.into) : null;
      if (existing && !(data.move && box)) {
        if (existing.classList.contains("is-selected")) node.classList.add("is-selected");
        existing.replaceWith(node);
      } else if (box) {
        if (existing) {
          if (existing.classList.contains("is-selected")) node.classList.add("is-selected");
          existing.remove();
        }
        if (data.at === "top") box.prepend(node); else box.append(node);
        box.dispatchEvent(new CustomEvent("v360:added", { bubbles: true }));
      } else {
        return;
      }
      htmx.process(node);
      refreshTimes(node);
      if (data.fresh !== undefined) flash(node);
    });
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    event.preventDefault();
    apply(event.detail.data);
  });

  // A new message at the bottom of an open conversation stays in view.
  document.addEventListener("v360:added", function (event) {
    var box = event.target;
    if (box.id === "timeline") box.lastElementChild.scrollIntoView({ block: "end" });
  });

  // A reply form that went through starts empty with a new idempotency key (the server sends the new form).
  document.addEventListener("htmx:afterSwap", function (event) { refreshTimes(event.target); });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss]");
    if (close) close.closest(".flash").remove();
  });

  document.addEventListener("DOMContentLoaded", function () {
    refreshTimes();
    window.setInterval(refreshTimes, 30000);
    var timeline = document.getElementById("timeline");
    if (timeline && timeline.lastElementChild) timeline.lastElementChild.scrollIntoView({ block: "end" });
  });
})();
