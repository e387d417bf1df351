// The try-out web chat: posts to /api/chat and renders the neutral Reply with DOM methods only
// (textContent, never HTML strings), so nothing a user or the catalog wrote can run as HTML.
(function () {
  "use strict";
  var app = document.getElementById("app");
  var log = document.getElementById("log");
  var scroller = document.getElementById("scroll");
  var chips = document.getElementById("chips");
  var form = document.getElementById("ask");
  var input = document.getElementById("text");
  var L = app.dataset;

  function newSession() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var session = null;
  try { session = window.localStorage.getItem("khomun-session"); } catch (e) { session = null; }
  if (!session || !/^[A-Za-z0-9_-]{8,64}$/.test(session)) {
    session = newSession();
    try { window.localStorage.setItem("khomun-session", session); } catch (e) { /* private mode */ }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeUrl(url) {
    try {
      var u = new URL(url, window.location.href);
      return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null;
    } catch (e) { return null; }
  }

  function link(label, url, primary) {
    var href = safeUrl(url);
    if (!href) { return null; }
    var a = el("a", primary ? "primary" : "", label);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function buttonFor(b, primary) {
    if (b.kind === "url") { return link(b.label, b.data, primary); }
    var node = el("button", "", b.label);
    node.type = "button";
    node.addEventListener("click", function () {
      if (b.kind === "text") { send(b.data, "", b.data); } else { send("", b.data, b.label); }
    });
    return node;
  }

  function buttonRow(buttons) {
    var row = el("div", "buttons");
    (buttons || []).forEach(function (b, i) {
      var node = buttonFor(b, i === 0 && b.kind === "url");
      if (node) { row.appendChild(node); }
    });
    return row;
  }

  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  // A reply is read from its start: its text and first card at the top of the conversation (the
  // text alone when both do not fit), not its last card at the bottom.
  function scrollToReply(lead, firstCard) {
    var target = lead || firstCard;
    if (!target) { scrollDown(); return; }
    var box = scroller.getBoundingClientRect();
    if (lead && firstCard && firstCard.getBoundingClientRect().bottom - lead.getBoundingClientRect().top > box.height) {
      target = firstCard;
    }
    scroller.scrollTop += target.getBoundingClientRect().top - box.top - 8;
  }

  function say(text, who) {
    var node = el("div", "msg " + who, text);
    log.appendChild(node);
    return node;
  }

  function renderCard(card) {
    var box = el("article", "card");
    var h = el("h2");
    if (card.number) { h.appendChild(el("span", "num", card.number + ".")); }
    h.appendChild(document.createTextNode(card.title));
    box.appendChild(h);
    var meta = [card.agency];
    if (card.updated) { meta.push(L.updated + " " + card.updated); }
    if (card.formats && card.formats.length) { meta.push(L.formats + " " + card.formats.join(", ")); }
    box.appendChild(el("p", "meta", meta.filter(Boolean).join(" · ")));
    if (card.description) { box.appendChild(el("p", "desc", card.description)); }
    box.appendChild(buttonRow(card.buttons));
    return box;
  }

  function renderDetails(d) {
    var box = renderCard(d.card);
    box.classList.add("details");
    var desc = box.querySelector(".desc");
    if (desc) { desc.textContent = d.description; }
    var dl = el("dl");
    if (d.tags && d.tags.length) { dl.appendChild(el("dt", "", L.tags)); dl.appendChild(el("dd", "", d.tags.join(", "))); }
    if (d.license) { dl.appendChild(el("dt", "", L.license)); dl.appendChild(el("dd", "", d.license)); }
    box.appendChild(dl);
    if (d.resources && d.resources.length) {
      box.appendChild(el("strong", "", L.resources + " (" + d.resources.length + ")"));
      var ul = el("ul");
      d.resources.forEach(function (r) {
        var li = el("li");
        var a = link(r.name || r.url, r.url, false);
        li.appendChild(a || el("span", "", r.name));
        if (r.format) { li.appendChild(document.createTextNode(" [" + r.format + "]")); }
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    return box;
  }

  function renderPreview(p) {
    var wrap = el("div", "preview");
    var table = el("table");
    var head = el("tr");
    p.columns.forEach(function (c) { head.appendChild(el("th", "", c)); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var tbody = el("tbody");
    p.rows.forEach(function (r) {
      var tr = el("tr");
      r.forEach(function (c) { tr.appendChild(el("td", "", c)); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    wrap.appendChild(table);
    return wrap;
  }

  function setChips(buttons) {
    while (chips.firstChild) { chips.removeChild(chips.firstChild); }
    (buttons || []).forEach(function (b) {
      var node = buttonFor(b, false);
      if (node) { node.classList.add("chip"); chips.appendChild(node); }
    });
  }

  function render(reply) {
    var lead = reply.text ? say(reply.text, "bot") : null;
    var first = null;
    if (reply.cards && reply.cards.length) {
      var list = el("div", "cards");
      reply.cards.forEach(function (c) { list.appendChild(renderCard(c)); });
      log.appendChild(list);
      first = list.firstChild;
    }
    if (reply.details) { first = log.appendChild(renderDetails(reply.details)); }
    if (reply.preview) { var shown = log.appendChild(renderPreview(reply.preview)); first = first || shown; }
    if (reply.buttons && reply.buttons.length) { log.appendChild(buttonRow(reply.buttons)); }
    setChips(reply.quick_replies);
    scrollToReply(lead, first);
  }

  function send(text, postback, shown) {
    if (!text && !postback) { return; }
    say(shown || text, "user");
    scrollDown();
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: text, session: session, postback: postback || "" })
    }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (r) {
      if (r.body && r.body.reply) { render(r.body.reply); } else { say(L.networkError, "bot"); }
    }).catch(function () { say(L.networkError, "bot"); scrollDown(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    input.value = "";
    send(text, "", text);
  });
  Array.prototype.forEach.call(chips.querySelectorAll(".chip"), function (chip) {
    chip.addEventListener("click", function () { send(chip.dataset.text, "", chip.dataset.text); });
  });
  say(L.greeting, "bot");
  input.focus();
}());
