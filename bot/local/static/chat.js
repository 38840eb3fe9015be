// Local mode's chat page: one person's chat at a time, kept live by long polling.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const t = config.texts;
  const lang = "lang=" + encodeURIComponent(config.locale);
  const $ = (id) => document.getElementById(id);
  const state = { chat: null, rev: 0, poll: null, people: [], rows: new Map() };

  function api(path, body, method) {
    const options = { method: method || (body === undefined ? "GET" : "POST"), headers: {} };
    if (options.method !== "GET") {
      options.headers["X-Putokaz"] = "1";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    const sep = path.includes("?") ? "&" : "?";
    return fetch(path + sep + lang, options).then((r) => {
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      return r.json();
    });
  }

  let toastTimer = null;
  function toast(text) {
    const el = $("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
  }

  // People

  function loadPeople() {
    return api("/api/people").then((data) => {
      state.people = data.people;
      $("clock").textContent = data.clock;
      const list = $("people-list");
      list.textContent = "";
      for (const person of data.people) {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.dataset.id = person.id;
        button.className = person.id === state.chat ? "current" : "";
        const name = document.createElement("span");
        name.textContent = person.name;
        button.append(name);
        if (person.role) {
          const role = document.createElement("span");
          role.className = "role";
          role.textContent = t["role_" + person.role] || person.role;
          button.append(role);
        }
        if (person.demo) {
          const badge = document.createElement("span");
          badge.className = "badge";
          badge.textContent = t.demo;
          button.append(badge);
        }
        if (person.about) {
          const about = document.createElement("span");
          about.className = "about";
          about.textContent = person.about;
          button.append(about);
        }
        button.addEventListener("click", () => openChat(person.id));
        li.append(button);
        list.append(li);
      }
      $("add-demo").hidden = !data.ready || data.demo;
      $("remove-demo").hidden = !data.demo;
      if (!data.people.length) $("welcome-text").textContent = t.empty;
      else if (!state.chat) $("welcome-text").textContent = t.pick;
    });
  }

  // A chat

  function openChat(id) {
    if (state.poll) state.poll.abort();
    state.chat = id;
    state.rev = 0;
    state.rows.clear();
    $("messages").textContent = "";
    $("chat").hidden = false;
    $("welcome").hidden = true;
    $("people").classList.remove("open");
    $("commands").hidden = true;
    const person = state.people.find((p) => p.id === id);
    $("chat-title").textContent = person ? person.name : "";
    $("open-desk").hidden = !(person && person.desk);
    for (const b of document.querySelectorAll("#people-list button")) {
      b.className = Number(b.dataset.id) === id ? "current" : "";
    }
    history.replaceState(null, "", "#" + id);
    poll(false);
  }

  function poll(wait) {
    const id = state.chat;
    const controller = new AbortController();
    state.poll = controller;
    const url = "/api/chats/" + id + "?since=" + state.rev + (wait ? "&wait=1" : "") + "&" + lang;
    fetch(url, { signal: controller.signal })
      .then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then((data) => {
        if (state.chat !== id) return;
        apply(data);
        poll(true);
      })
      .catch((error) => {
        if (error.name === "AbortError" || state.chat !== id) return;
        setTimeout(() => { if (state.chat === id) poll(true); }, 2000);
      });
  }

  function apply(data) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    for (const m of data.messages) {
      const old = state.rows.get(m.id);
      if (m.deleted) {
        if (old) old.remove();
        state.rows.delete(m.id);
        continue;
      }
      const row = renderMessage(m);
      if (old) old.replaceWith(row);
      else insertInOrder(list, row, m.id);
      state.rows.set(m.id, row);
    }
    state.rev = data.rev;
    $("clock").textContent = data.clock;
    renderKeyboard(data.keyboard);
    renderCommands(data.commands);
    $("start").hidden = state.rows.size > 0;
    if (atBottom || data.messages.length) list.scrollTop = list.scrollHeight;
  }

  function insertInOrder(list, row, id) {
    for (const [otherId, other] of state.rows) {
      if (otherId > id && other.parentNode === list) {
        let first = other;
        for (const [i, o] of state.rows) if (i > id && i < Number(first.dataset.id)) first = o;
        list.insertBefore(row, first);
        return;
      }
    }
    list.append(row);
  }

  function renderMessage(m) {
    const li = document.createElement("li");
    li.className = "msg " + (m.out ? "out" : "in");
    li.dataset.id = m.id;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (m.photo) {
      const img = document.createElement("img");
      img.src = m.photo;
      img.alt = "";
      img.loading = "lazy";
      bubble.append(img);
    }
    if (m.document) {
      const doc = document.createElement("div");
      doc.className = "document";
      const link = document.createElement("a");
      link.href = m.document.url;
      link.textContent = "📄 " + m.document.name;
      link.title = t.download;
      const size = document.createElement("span");
      size.className = "meta";
      size.textContent = Math.max(1, Math.round(m.document.size / 1024)) + " KB";
      doc.append(link, size);
      bubble.append(doc);
    }
    const text = document.createElement("div");
    text.className = "text";
    text.innerHTML = m.html; // built on the server from Telegram's entities, every text escaped
    bubble.append(text);
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = (m.edited ? "✎ " : "") + m.time;
    bubble.append(meta);
    li.append(bubble);
    if (m.buttons && m.buttons.length) li.append(renderInline(m));
    return li;
  }

  function renderInline(m) {
    const box = document.createElement("div");
    box.className = "inline-keyboard";
    for (const row of m.buttons) {
      const line = document.createElement("div");
      line.className = "inline-row";
      for (const b of row) {
        let el;
        if (b.kind === "url" && b.url) {
          el = document.createElement("a");
          el.href = b.url;
          el.target = "_blank";
          el.rel = "noopener noreferrer";
        } else {
          el = document.createElement("button");
          el.type = "button";
          el.addEventListener("click", () => press(m.id, b, el));
        }
        el.textContent = b.text;
        line.append(el);
      }
      box.append(line);
    }
    return box;
  }

  function press(messageId, button, el) {
    if (button.kind === "copy_text") {
      navigator.clipboard?.writeText(button.copy || "");
      toast(t.copied);
      return;
    }
    if (button.kind !== "callback_data") { toast(t.cannot_open); return; }
    el.disabled = true;
    api("/api/chats/" + state.chat + "/press", { message_id: messageId, data: button.data })
      .then((answer) => {
        if (!answer.answered) toast(t.no_answer);
        else if (answer.text && answer.show_alert) alert(answer.text);
        else if (answer.text) toast(answer.text);
        if (answer.url) window.open(answer.url, "_blank", "noopener");
      })
      .catch(() => toast(t.no_answer))
      .finally(() => { el.disabled = false; });
  }

  function renderKeyboard(rows) {
    const box = $("reply-keyboard");
    box.textContent = "";
    box.hidden = !rows || !rows.length;
    for (const row of rows || []) {
      const line = document.createElement("div");
      line.className = "row";
      for (const label of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.addEventListener("click", () => send(label));
        line.append(b);
      }
      box.append(line);
    }
  }

  function renderCommands(commands) {
    const box = $("commands");
    box.textContent = "";
    for (const c of commands || []) {
      const b = document.createElement("button");
      b.type = "button";
      const cmd = document.createElement("span");
      cmd.className = "cmd";
      cmd.textContent = "/" + c.command;
      b.append(cmd, document.createTextNode(c.description));
      b.addEventListener("click", () => { box.hidden = true; send("/" + c.command); });
      box.append(b);
    }
    $("menu-button").hidden = !(commands && commands.length);
  }

  function send(text) {
    if (!state.chat || !text.trim()) return;
    api("/api/chats/" + state.chat + "/send", { text: text }).catch(() => toast(t.no_answer));
  }

  // Wiring

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    send($("text").value);
    $("text").value = "";
  });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  $("menu-button").addEventListener("click", () => { $("commands").hidden = !$("commands").hidden; });
  $("start").addEventListener("click", () => send("/start"));
  $("people-toggle").addEventListener("click", () => $("people").classList.toggle("open"));
  $("open-desk").addEventListener("click", () => {
    // Opened now, filled in when the link is there: a tab opened later would be blocked.
    const tab = window.open("", "_blank");
    api("/api/chats/" + state.chat + "/desk", {})
      .then((data) => { if (tab) tab.location = data.url; else location.href = data.url; })
      .catch(() => { if (tab) tab.close(); toast(t.no_answer); });
  });
  // A link to this bot with ?start= (an invite) opens in the chat of the person who follows it,
  // as tapping it on Telegram would: the page asks who.
  const startLink = new RegExp(
    "^https://t\\.me/" + config.bot.username + "\\?start=([A-Za-z0-9_-]{1,64})$", "i");

  function chooseWhoOpens(payload) {
    const box = $("who-opens");
    const list = $("who-opens-list");
    list.textContent = "";
    for (const person of state.people) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = person.name;
      b.addEventListener("click", () => {
        box.hidden = true;
        openChat(person.id);
        api("/api/chats/" + person.id + "/send", { text: "/start " + payload })
          .catch(() => toast(t.no_answer));
      });
      list.append(b);
    }
    box.hidden = false;
  }

  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a[href]");
    const found = link && startLink.exec(link.href);
    if (found) { e.preventDefault(); chooseWhoOpens(found[1]); }
  });
  $("who-opens-cancel").addEventListener("click", () => { $("who-opens").hidden = true; });

  $("messages").addEventListener("click", (e) => {
    const target = e.target;
    if (target.classList.contains("command")) { e.preventDefault(); send(target.dataset.command); }
    if (target.classList.contains("spoiler")) target.classList.add("shown");
  });
  for (const b of document.querySelectorAll("[data-move]")) {
    b.addEventListener("click", () => {
      b.disabled = true;
      api("/api/clock", { move: b.dataset.move })
        .then((r) => { $("clock").textContent = r.clock; if (!r.moved) toast(t.nothing_due); })
        .catch((e) => toast(String(e)))
        .finally(() => { b.disabled = false; });
    });
  }
  $("new-person").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = e.target;
    api("/api/people", { name: form.name.value, language: form.language.value })
      .then((r) => { form.reset(); return loadPeople().then(() => openChat(r.id)); })
      .catch((e) => toast(String(e)));
  });
  $("add-demo").addEventListener("click", () => {
    $("add-demo").disabled = true;
    api("/api/demo", {}).then(() => { toast(t.demo_added); return loadPeople(); })
      .catch((e) => toast(String(e))).finally(() => { $("add-demo").disabled = false; });
  });
  $("remove-demo").addEventListener("click", () => {
    if (!confirm(t.confirm_remove_demo)) return;
    api("/api/demo", {}, "DELETE").then(() => {
      toast(t.demo_removed);
      if (state.chat && !state.people.some((p) => p.id === state.chat && !p.demo)) {
        if (state.poll) state.poll.abort();
        state.chat = null;
        $("chat").hidden = true;
        $("welcome").hidden = false;
      }
      return loadPeople();
    }).catch((e) => toast(String(e)));
  });

  loadPeople().then(() => {
    const wanted = Number(location.hash.slice(1));
    if (wanted && state.people.some((p) => p.id === wanted)) openChat(wanted);
    else $("people").classList.add("open"); // on a phone: the list first
  });
  setInterval(() => { if (!document.hidden) loadPeople(); }, 30000);
})();
