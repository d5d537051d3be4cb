// Daftar reader: plain JavaScript, no build step, nothing loaded from elsewhere.
// Every piece of archive text reaches the page as a text node (never as HTML).
"use strict";

const state = {
  status: null,
  article: null,       // the article shown, with its annotations
  map: null,           // scalar ↔ UTF-16 offsets of its body
  focused: -1,         // index into visibleAnnotations() of the focused annotation
  selection: null,     // {start, end, exact} in Unicode scalars, while the popup is open
  find: { quote: "", matches: [], next: 0 },
};

// ---- Small helpers ------------------------------------------------------------------------

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

const $ = (id) => document.getElementById(id);

function toast(message, isError) {
  const box = $("toast");
  box.textContent = message;
  box.className = isError ? "error" : "";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, isError ? 8000 : 3000);
}

/** Calls the JSON API; throws an Error carrying the server's message. */
async function api(method, path, body) {
  const options = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** An Error carrying the server's one-line message (else the status) and the status. */
async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try { message = (await response.json()).error.message; } catch (_) { /* keep the status */ }
  const error = new Error(message);
  error.status = response.status;
  return error;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") q.set(key, value);
  const text = q.toString();
  return text ? "?" + text : "";
}

function clip(text, n) {
  const chars = Array.from(text.replace(/\s+/g, " "));
  return chars.length > n ? chars.slice(0, n - 1).join("") + "…" : chars.join("");
}

// ---- Dates: Gregorian or Solar Hijri -------------------------------------------------------

function calendar() { return localStorage.getItem("daftar.calendar") || (state.status && state.status.calendar) || "gregorian"; }

function formatDay(ymd) {
  if (!ymd) return "";
  if (calendar() !== "persian") return ymd;
  const date = new Date(ymd + "T12:00:00Z");
  return new Intl.DateTimeFormat("fa-IR-u-ca-persian", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }).format(date);
}

function formatTime(ms) {
  const date = new Date(ms);
  if (calendar() === "persian") {
    return new Intl.DateTimeFormat("fa-IR-u-ca-persian", { dateStyle: "medium", timeStyle: "short" }).format(date);
  }
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// ---- Offsets: the archive counts Unicode scalars, the browser UTF-16 code units -----------

/** Maps between scalar offsets and UTF-16 offsets of `text`. */
function offsetMap(text) {
  const toUtf16 = [];
  const toScalar = new Int32Array(text.length + 1);
  let u = 0, s = 0;
  for (const ch of text) {          // iterates code points: an emoji is one
    toUtf16.push(u);
    toScalar[u] = s;
    if (ch.length === 2) toScalar[u + 1] = s;   // inside a surrogate pair: the scalar it starts
    u += ch.length;
    s += 1;
  }
  toUtf16.push(u);
  toScalar[u] = s;
  return { toUtf16: (scalar) => toUtf16[scalar], toScalar: (unit) => toScalar[unit], scalars: s };
}

/** The UTF-16 offset of a DOM point inside the body element. */
function bodyOffset(body, node, offset) {
  const range = document.createRange();
  range.setStart(body, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

/** The current selection as a passage of the body (trimmed of spaces), or null. */
function selectedPassage() {
  const body = $("body");
  const selection = window.getSelection();
  if (!body || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!body.contains(range.startContainer) || !body.contains(range.endContainer)) return null;
  const text = state.article.body;
  let start = bodyOffset(body, range.startContainer, range.startOffset);
  let end = bodyOffset(body, range.endContainer, range.endOffset);
  while (start < end && /\s/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (end <= start) return null;
  const map = state.map;
  const s = map.toScalar(start), e = map.toScalar(end);
  // An end inside a surrogate pair takes the whole character.
  const scalarEnd = map.toUtf16(e) < end ? e + 1 : e;
  return { start: s, end: scalarEnd, exact: text.slice(map.toUtf16(s), map.toUtf16(scalarEnd)) };
}

/** Selects the scalar range start..<end of the body in the page. */
function selectPassage(start, end) {
  const body = $("body");
  const from = state.map.toUtf16(start), to = state.map.toUtf16(end);
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  let seen = 0, range = document.createRange(), node, started = false;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (!started && from <= seen + length) { range.setStart(node, from - seen); started = true; }
    if (started && to <= seen + length) { range.setEnd(node, to - seen); break; }
    seen += length;
  }
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const rect = range.getBoundingClientRect();
  if (rect.top < 60 || rect.bottom > window.innerHeight) range.startContainer.parentElement.scrollIntoView({ block: "center" });
}

// ---- Views ---------------------------------------------------------------------------------

function asOf() { return $("as-of").value.trim(); }
function isPast() { return asOf() !== ""; }

function showPastBanner(past) {
  const banner = $("past-banner");
  banner.hidden = !past;
  banner.replaceChildren();
  if (past) {
    banner.append(`A past view: as of ${past.asOf} (${past.moment}). The archive now may hold more; changes are off. `,
      el("button", { type: "button", onclick: () => { $("as-of").value = ""; route(); } }, "Back to now"));
  }
}

async function refreshStatus() {
  try {
    state.status = await api("GET", "/api/status");
  } catch (error) {
    showSignIn(error);
    return false;
  }
  const banner = $("banner");
  const parts = [];
  if (state.status.conflicts > 0) parts.push(el("a", { href: "#/conflicts" }, `${state.status.conflicts} annotation${state.status.conflicts === 1 ? "" : "s"} in conflict`));
  if (state.status.forks > 0) parts.push(document.createTextNode(`${state.status.forks} replica${state.status.forks === 1 ? "" : "s"} forked (frozen; see \`daftar forks\`)`));
  banner.replaceChildren(...parts.flatMap((p, i) => (i ? [" · ", p] : [p])));
  banner.hidden = parts.length === 0;
  $("nav-conflicts").textContent = state.status.conflicts > 0 ? `Conflicts (${state.status.conflicts})` : "Conflicts";
  return true;
}

function showSignIn(error) {
  const main = $("main");
  main.replaceChildren(el("h1", {}, "Not signed in"),
    el("p", {}, error.status === 401 ? "Open the URL that `daftar reader` printed in its terminal: it signs this browser in." : error.message));
}

async function showLibrary(offset) {
  const main = $("main");
  const page = await api("GET", "/api/articles" + query({ offset, limit: 50, asOf: asOf() }));
  const tags = await api("GET", "/api/tags" + query({ asOf: asOf() }));
  showPastBanner(page.past);
  const list = el("ol", { class: "list", start: offset + 1 }, page.articles.map((a) =>
    el("li", {}, el("a", { href: `#/article/${a.id}`, lang: "fa", dir: "rtl" }, a.title),
      el("div", { class: "meta" }, [a.file, formatDay(a.published)].filter(Boolean).join(" · ")))));
  const pager = el("div", { class: "pager" },
    offset > 0 ? el("a", { href: `#/library/${Math.max(0, offset - 50)}` }, "← Newer") : null, " ",
    page.more ? el("a", { href: `#/library/${offset + 50}` }, "Older →") : null);
  const tagList = el("div", { class: "tags" }, tags.map((t) =>
    el("a", { href: "#", lang: "fa", title: `${t.annotations} annotations, ${t.articles} articles`, onclick: (event) => { event.preventDefault(); $("f-tag").value = t.tag; $("filters").open = true; $("q").focus(); } },
      `#${t.tag} (${t.articles})`)));
  main.replaceChildren(el("div", { class: "columns" },
    el("section", {}, el("h1", {}, "Articles"), page.articles.length ? list : el("p", {}, "No articles yet: `daftar ingest FILES` adds some."), pager),
    el("aside", {}, el("h2", {}, "Tags"), tags.length ? tagList : el("p", { class: "meta" }, "No tags yet."))));
}

function snippetNode(text, matches) {
  const map = offsetMap(text);
  const node = el("p", { class: "snippet", lang: "fa", dir: "rtl" });
  let at = 0;
  for (const [s, e] of matches) {
    const from = map.toUtf16(s), to = map.toUtf16(e);
    node.append(text.slice(at, from), el("mark", {}, text.slice(from, to)));
    at = to;
  }
  node.append(text.slice(at));
  return node;
}

async function showSearch(params) {
  const main = $("main");
  $("q").value = params.get("q") || "";
  for (const name of ["since", "until", "tag", "file"]) $("f-" + name).value = params.get(name) || "";
  main.replaceChildren(el("p", { class: "meta" }, "Searching…"));
  const result = await api("GET", "/api/search" + query({
    q: params.get("q"), since: params.get("since"), until: params.get("until"), tag: params.get("tag"), file: params.get("file"), asOf: asOf(),
  }));
  showPastBanner(result.past);
  const hits = result.hits.map((hit) => el("li", { class: "hit" },
    el("a", { href: `#/article/${hit.id}`, lang: "fa", dir: "rtl" }, hit.title),
    hit.annotation ? el("span", { class: "flag" }, "note") : null,
    el("div", { class: "meta" }, [hit.file, formatDay(hit.published)].filter(Boolean).join(" · ")),
    snippetNode(hit.snippet, hit.snippetMatches),
    hit.aliases && hit.aliases.length ? el("div", { class: "meta" }, "by alias: ", el("span", { lang: "fa" }, hit.aliases.join("، "))) : null));
  main.replaceChildren(el("h1", {}, `Search: `, el("span", { lang: "fa" }, params.get("q") || "")),
    el("p", { class: "meta" }, result.hits.length ? `${result.hits.length} result${result.hits.length === 1 ? "" : "s"}` : "Nothing matches."),
    result.undated ? el("p", { class: "meta" }, `${result.undated} matching article${result.undated === 1 ? "" : "s"} without a date left out.`) : null,
    el("ol", { class: "list", id: "results" }, hits));
}

/** An annotation about the whole article (imported from a tool that annotated the page): no passage to mark. */
function isWhole(a) { return a.end <= a.start; }

/** An annotation's passage as its note shows it, or that it is about the whole article. */
function quoteText(a) { return isWhole(a) ? "(the whole article)" : "«" + clip(a.exact, 80) + "»"; }

function visibleAnnotations() {
  return state.article ? state.article.annotations.filter((a) => !a.deleted).sort((a, b) => a.start - b.start || a.end - b.end) : [];
}

/** The body as paragraphs of text nodes and <mark>s: concatenated, the text nodes are the body
 *  exactly (a paragraph keeps the blank line after it). Paragraphs out of view are not laid out
 *  until scrolled to (content-visibility), so a long article with many notes opens fast. */
function renderBody(article) {
  const map = state.map;
  const text = article.body;
  const body = el("div", { id: "body", lang: "fa", dir: "rtl", tabindex: "0", "aria-label": "Article text" });
  // This version's annotations, and those of other versions placed here.
  const placed = (article.carried || []).filter((c) => c.method !== "orphan").map((c) => ({ ...c.annotation, carried: c.label }));
  const marks = [...visibleAnnotations(), ...placed].filter((a) => !isWhole(a)).map((a) => ({ a, from: map.toUtf16(a.start), to: map.toUtf16(a.end) }));
  const cuts = new Set([0, text.length]);
  for (const m of marks) { cuts.add(m.from); cuts.add(m.to); }
  const paragraphEnds = new Set();
  for (let at = text.indexOf("\n\n"); at >= 0; at = text.indexOf("\n\n", at + 1)) {
    let end = at;
    while (text[end] === "\n") end++;
    cuts.add(end);
    paragraphEnds.add(end);
    at = end - 1;
  }
  const points = [...cuts].sort((x, y) => x - y);
  let paragraph = el("span", { class: "para" });
  let open = [];   // marks covering the current point, in start order
  let next = 0;
  marks.sort((x, y) => x.from - y.from);
  for (let i = 0; i + 1 < points.length; i++) {
    const from = points[i], to = points[i + 1];
    while (next < marks.length && marks[next].from <= from) open.push(marks[next++]);
    open = open.filter((m) => m.to > from);
    const covering = open.filter((m) => m.from <= from && m.to >= to).map((m) => m.a);
    const piece = text.slice(from, to);
    if (covering.length === 0) {
      paragraph.append(piece);
    } else {
      paragraph.append(el("mark", {
        "data-ids": covering.map((a) => a.id).join(" "),
        class: covering.some((a) => a.conflict) ? "conflict" : (covering.every((a) => a.carried) ? "carried" : ""),
        title: covering.map((a) => a.note).filter(Boolean).join("\n—\n"),
        onclick: () => focusAnnotation(covering[0].id, true),
      }, piece));
    }
    if (paragraphEnds.has(to)) { body.append(paragraph); paragraph = el("span", { class: "para" }); }
  }
  if (paragraph.childNodes.length) body.append(paragraph);
  return body;
}

async function showArticle(id) {
  const article = await api("GET", `/api/articles/${id}` + query({ asOf: asOf() }));
  state.article = article;
  state.map = offsetMap(article.body);
  state.focused = -1;
  showPastBanner(article.past);
  const sources = article.sources.map((s) => el("li", {}, `${s.file} — ${s.author}, ${formatTime(s.time)}`));
  const reading = el("article", { class: "reading", lang: "fa", dir: "rtl" },
    el("h1", {}, article.title),
    el("div", { class: "meta" }, [article.file, formatDay(article.published)].filter(Boolean).join(" · ")),
    article.versions ? el("nav", { class: "meta versions", dir: "ltr", lang: "en", "aria-label": "Versions" },
      `Version ${article.version} of ${article.versions.length}: `,
      ...article.versions.map((v) => v.summary.id === article.id
        ? el("strong", {}, ` ${v.number} `)
        : el("a", { href: `#/article/${v.summary.id}` }, ` ${v.number} `))) : null,
    article.tags.length ? el("div", { class: "tags" }, article.tags.map((t) => el("span", { class: "tag" }, "#" + t))) : null,
    renderBody(article),
    el("details", { class: "meta", dir: "ltr", lang: "en" }, el("summary", {}, `Sources (${article.sources.length})`), el("ul", {}, sources)));
  $("main").replaceChildren(el("div", { class: "columns" }, reading, renderSidebar(article)));
}

function renderSidebar(article) {
  const items = [...article.annotations].sort((a, b) => a.start - b.start || a.end - b.end).map(renderNote);
  const carried = article.carried || [];
  return el("aside", { id: "sidebar", "aria-label": "Annotations" },
    el("h2", {}, `Annotations (${visibleAnnotations().length})`),
    items.length ? items : el("p", { class: "meta" }, isPast() ? "None then." : "None yet: select text and press h, n or t."),
    carried.length ? el("h2", {}, `From other versions (${carried.length})`) : null,
    ...carried.map(renderCarried));
}

/** An annotation made on another version: where it was placed here and how, or why not. */
function renderCarried(c) {
  const a = c.annotation;
  return el("div", { class: "note-item carried" + (c.method === "orphan" ? " orphan" : ""), id: "carried-" + a.id, "data-method": c.method },
    el("div", { class: "quote", lang: "fa", dir: "rtl" }, quoteText(a)),
    a.note ? el("div", { class: "note", lang: "fa", dir: "auto" }, a.note) : null,
    el("div", { class: "meta" }, `from version ${c.version} · ${c.method === "orphan" ? "not placed: " + c.reason : c.label}`));
}

function renderNote(a) {
  const writable = !isPast();
  const item = el("div", {
    class: "note-item" + (a.deleted ? " deleted" : ""), id: "note-" + a.id, tabindex: "0", "data-id": a.id,
    onkeydown: (event) => { if (event.key === "Enter" && event.target === item) focusAnnotation(a.id, false); },
  });
  const quote = el("div", { class: "quote", lang: "fa", dir: "rtl" },
    el("a", { href: "#", onclick: (event) => { event.preventDefault(); focusAnnotation(a.id, false); } }, quoteText(a)));
  const flags = [a.deleted ? el("span", { class: "flag" }, "deleted") : null, a.conflict ? el("span", { class: "flag conflict" }, "conflict") : null];
  const note = el("div", { class: "note", lang: "fa", dir: "auto" }, a.note);
  const tags = el("div", { class: "tags" }, a.tags.map((t) => el("span", { class: "tag", lang: "fa" }, "#" + t,
    writable ? el("button", { type: "button", title: `Remove tag ${t}`, "aria-label": `Remove tag ${t}`, onclick: () => change(`/api/annotations/${a.id}/tags`, { remove: [t] }) }, "×") : null)));
  const meta = el("div", { class: "meta" }, `${a.creator}, ${formatTime(a.modified)} · ${a.motivation}`);
  const actions = el("div", { class: "actions" },
    writable && !a.deleted ? el("button", { type: "button", onclick: () => editNote(item, a) }, "Edit") : null,
    writable ? el("button", { type: "button", onclick: () => addTags(item, a) }, "Tag") : null,
    writable ? (a.deleted
      ? el("button", { type: "button", onclick: () => change(`/api/annotations/${a.id}/restore`, {}) }, "Restore")
      : el("button", { type: "button", onclick: () => change(`/api/annotations/${a.id}/delete`, {}) }, "Delete")) : null,
    el("button", { type: "button", onclick: () => toggleHistory(item, a) }, "History"));
  item.append(...[quote, ...flags, note, tags, meta, a.conflict ? conflictBox(a, writable) : null, actions].filter(Boolean));
  return item;
}

/** Both (or all) values of a conflict, who wrote each and when, and how to settle it. */
function conflictBox(a, writable) {
  const box = el("div", { class: "conflict-box" }, el("strong", {}, "In conflict"));
  const values = (label, list) => (list || []).forEach((v) => box.append(el("div", { class: "value" },
    el("div", {}, `${label} by ${v.author}, ${formatTime(v.time)}:`),
    el("div", { lang: "fa", dir: "auto" }, v.value === "" ? "(empty)" : v.value),
    writable ? el("button", { type: "button", class: "keep", "data-event": v.event, onclick: () => change(`/api/annotations/${a.id}/resolve`, { keep: v.event }) }, "Keep this") : null)));
  values("Note", a.noteValues);
  values("Motivation", a.motivationValues);
  if (a.editsConcurrentWithDelete) {
    box.append(el("div", {}, "Deleted while someone edited it:"));
    values("Edit", a.editsConcurrentWithDelete);
    if (writable) box.append(el("button", { type: "button", onclick: () => change(`/api/annotations/${a.id}/resolve`, { delete: true }) }, "Confirm the delete"));
  }
  if (writable && (a.noteValues || a.motivationValues)) {
    const text = el("textarea", { lang: "fa", dir: "auto", rows: 3, "aria-label": "A new note that settles the conflict" });
    box.append(el("form", { onsubmit: (event) => { event.preventDefault(); change(`/api/annotations/${a.id}/resolve`, { note: text.value }); } },
      text, el("button", { type: "submit" }, "Write this instead")));
  }
  return box;
}

function editNote(item, a) {
  const text = el("textarea", { lang: "fa", dir: "auto", rows: 4, "aria-label": "Note" });
  text.value = a.note;
  const form = el("form", { onsubmit: (event) => { event.preventDefault(); change(`/api/annotations/${a.id}/edit`, { note: text.value }); } },
    text, el("button", { type: "submit" }, "Save"), " ", el("button", { type: "button", onclick: () => form.remove() }, "Cancel"));
  text.addEventListener("keydown", (event) => { if (event.key === "Enter" && event.ctrlKey) form.requestSubmit(); });
  item.append(form);
  text.focus();
}

function addTags(item, a) {
  const input = el("input", { lang: "fa", dir: "auto", "aria-label": "Tags to add" });
  const form = el("form", { onsubmit: (event) => { event.preventDefault(); change(`/api/annotations/${a.id}/tags`, { add: splitTags(input.value) }); } },
    input, el("button", { type: "submit" }, "Add"));
  item.append(form);
  input.focus();
}

async function toggleHistory(item, a) {
  const open = item.querySelector(".history");
  if (open) { open.remove(); return; }
  const entries = await api("GET", `/api/annotations/${a.id}/history`);
  item.append(el("ol", { class: "history" }, entries.map((e) => el("li", {},
    `${formatTime(e.time)} — ${e.author}${e.replica ? " (" + e.replica + ")" : ""}: `, el("span", { lang: "fa", dir: "auto" }, e.summary),
    e.conflictsWith.length ? el("span", { class: "flag conflict" }, "conflict with #" + e.conflictsWith.join(", #")) : null,
    e.concurrentWith.length ? el("span", { class: "flag" }, "‖ concurrent with #" + e.concurrentWith.join(", #")) : null))));
}

function splitTags(text) { return text.split(/[\s,،]+/).map((t) => t.replace(/^#/, "")).filter(Boolean); }

/** A write from the sidebar, then the article shown again with what it changed. */
async function change(path, body) {
  const keep = state.focused;
  try {
    await api("POST", path, body);
  } catch (error) {
    toast(error.message, true);
    return;
  }
  await refreshStatus();
  if (state.article && location.hash.startsWith("#/article/")) {
    await showArticle(state.article.id);
    if (keep >= 0) state.focused = keep;
  } else {
    await route();
  }
  toast("Saved.");
}

function focusAnnotation(id, fromText) {
  const list = visibleAnnotations();
  state.focused = list.findIndex((a) => a.id === id);
  document.querySelectorAll("#body mark.focused, .note-item.focused").forEach((n) => n.classList.remove("focused"));
  const marks = [...document.querySelectorAll("#body mark")].filter((m) => m.dataset.ids.split(" ").includes(id));
  marks.forEach((m) => m.classList.add("focused"));
  const item = $("note-" + id);
  if (item) item.classList.add("focused");
  if (fromText) {
    if (item) { item.scrollIntoView({ block: "nearest" }); item.focus({ preventScroll: true }); }
  } else if (marks.length) {
    marks[0].scrollIntoView({ block: "center" });
    if (item) item.focus({ preventScroll: true });
  }
}

function moveFocus(step) {
  const list = visibleAnnotations();
  if (!list.length) return;
  const next = state.focused < 0 ? (step > 0 ? 0 : list.length - 1) : (state.focused + step + list.length) % list.length;
  focusAnnotation(list[next].id, false);
}

// ---- Annotating a selection ----------------------------------------------------------------

function openPopup(mode) {
  if (!state.article || isPast()) return;
  const passage = state.selection || selectedPassage();
  if (!passage) { toast("Select a passage of the article first (or press f to find one)."); return; }
  state.selection = passage;
  const popup = $("popup");
  const rect = window.getSelection().rangeCount ? window.getSelection().getRangeAt(0).getBoundingClientRect() : { bottom: 100, left: 100 };
  popup.style.top = Math.min(window.innerHeight - 220, rect.bottom + 8) + "px";
  popup.style.left = Math.max(8, Math.min(window.innerWidth - 380, rect.left)) + "px";
  popup.hidden = false;
  const form = $("popup-form");
  if (mode === "highlight") { save("highlight"); return; }
  if (mode === "note" || mode === "tag") {
    form.hidden = false;
    form.dataset.mode = mode;
    $("popup-note").hidden = mode !== "note";
    $("popup-note").value = "";
    $("popup-tags").value = "";
    (mode === "note" ? $("popup-note") : $("popup-tags")).focus();
  } else {
    form.hidden = true;
    popup.querySelector("button").focus();
  }
}

function closePopup() {
  closeDialog($("popup"));
  $("popup-form").hidden = true;
  state.selection = null;
}

async function save(mode) {
  const passage = state.selection;
  if (!passage) return;
  const body = { start: passage.start, end: passage.end, exact: passage.exact };
  if (mode === "note") body.note = $("popup-note").value;
  body.tags = splitTags($("popup-tags").value);
  if (mode === "highlight") body.tags = [];
  try {
    const made = await api("POST", `/api/articles/${state.article.id}/annotations`, body);
    closePopup();
    window.getSelection().removeAllRanges();
    await refreshStatus();
    await showArticle(state.article.id);
    focusAnnotation(made.id, true);
    toast("Annotated.");
  } catch (error) {
    toast(error.message, true);
  }
}

// ---- Finding a passage by typing (selection without a mouse) -------------------------------

function openFind() {
  if (!state.article) return;
  $("find").hidden = false;
  $("find-q").focus();
  $("find-q").select();
}

async function findNext() {
  const quote = $("find-q").value;
  if (!quote.trim()) return;
  if (quote !== state.find.quote) {
    state.find = { quote, matches: await api("GET", `/api/articles/${state.article.id}/find` + query({ q: quote })), next: 0 };
  }
  const matches = state.find.matches;
  if (!matches.length) { $("find-count").textContent = "not in this article"; return; }
  const match = matches[state.find.next % matches.length];
  $("find-count").textContent = `${(state.find.next % matches.length) + 1} of ${matches.length}`;
  state.find.next += 1;
  selectPassage(match.start, match.end);
  state.selection = { start: match.start, end: match.end, exact: match.exact };
}

function closeFind() { closeDialog($("find")); }

/** Hides a dialog, giving focus back to the page (a hidden field must not keep it). */
function closeDialog(dialog) {
  if (dialog.contains(document.activeElement)) document.activeElement.blur();
  dialog.hidden = true;
}

// ---- Since the last sync, conflicts, sync ---------------------------------------------------

async function showChanges() {
  const main = $("main");
  showPastBanner(null);
  let changes;
  try {
    changes = await api("GET", "/api/changes");
  } catch (error) {
    main.replaceChildren(el("h1", {}, "Since the last sync"), el("p", {}, error.message + "."));
    return;
  }
  const groups = changes.report.articles.map((group) => el("li", {},
    el("a", { href: `#/article/${group.article}`, lang: "fa", dir: "rtl" }, group.title), group.isNew ? el("span", { class: "flag" }, "new") : null, " ",
    el("a", { href: "#", class: "meta", onclick: (event) => { event.preventDefault(); $("as-of").value = changes.since; location.hash = `#/article/${group.article}`; route(); } }, "as it was before"),
    el("ul", {}, group.events.map((e) => el("li", {}, `${formatTime(e.time)} — ${e.author}: `, el("span", { lang: "fa", dir: "auto" }, e.summary))),
      group.conflictsAppeared.map((id) => el("li", { class: "flag conflict" }, `conflict appeared: annotation ${id.slice(0, 13)}`)),
      group.conflictsResolved.map((id) => el("li", {}, `conflict resolved: annotation ${id.slice(0, 13)}`)))));
  main.replaceChildren(el("h1", {}, `Since the last sync (${changes.since})`),
    el("p", { class: "meta" }, `${changes.report.events} event${changes.report.events === 1 ? "" : "s"} on ${changes.report.articles.length} article${changes.report.articles.length === 1 ? "" : "s"}.`),
    el("ul", { class: "list" }, groups));
}

async function showConflicts() {
  showPastBanner(null);
  const conflicts = await api("GET", "/api/conflicts");
  $("main").replaceChildren(el("h1", {}, "Conflicts"),
    conflicts.length ? el("div", {}, conflicts.map((a) => el("div", {},
      el("a", { href: `#/article/${a.article}` }, "open the article"), renderNote(a)))) : el("p", {}, "No conflicts."));
}

async function showSync() {
  showPastBanner(null);
  const peers = await api("GET", "/api/peers");
  const rows = peers.map((p) => {
    const output = el("div", { class: "sync-result", "aria-live": "polite" });
    return el("li", {}, el("strong", {}, p.name), ` ${p.url} `, el("button", { type: "button", onclick: () => syncNow(p.name, output) }, "Sync now"), output);
  });
  $("main").replaceChildren(el("h1", {}, "Sync"),
    peers.length ? el("ul", { class: "list" }, rows) : el("p", {}, "No peers yet: `daftar peer add NAME URL --token-file F` adds one."));
}

async function syncNow(name, output) {
  output.replaceChildren(el("span", { class: "progress" }, "starting…"));
  const response = await fetch(`/api/peers/${encodeURIComponent(name)}/sync`, { method: "POST", credentials: "same-origin" });
  if (!response.ok) {
    output.replaceChildren(el("p", { class: "error" }, (await failure(response)).message));
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      if (line.progress) output.replaceChildren(el("span", { class: "progress" }, `pulled ${line.progress.pulled} events, pushed ${line.progress.pushed}…`));
      if (line.error) output.replaceChildren(el("p", { class: "error" }, line.error.message));
      if (line.result) output.replaceChildren(syncReport(line.result));
    }
  }
  await refreshStatus();
}

/** The same honest result as `daftar sync`. */
function syncReport(r) {
  const lines = [];
  const moved = r.pulledEvents + r.pushedEvents;
  lines.push(r.inSync ? (moved ? `In sync: pulled ${r.pulledEvents} events, pushed ${r.pushedEvents}.` : "Already in sync.")
    : `Pulled ${r.pulledEvents} events, pushed ${r.pushedEvents}; not in sync.`);
  const b = r.broughtIn;
  if (r.pulledEvents) lines.push(`Brought in: ${b.articles} new articles, ${b.annotations} new annotations, ${b.conflicts} new conflicts.`);
  for (const f of r.forks) lines.push(`Replica ${f.origin.slice(0, 12)} signed two histories (proof checked): frozen at seq ${f.agreed}.`);
  if (r.heldBackHere) lines.push(`${r.heldBackHere} events from the peer held back: they depend on a frozen history.`);
  if (r.heldBackThere) lines.push(`${r.heldBackThere} events held back by the peer.`);
  if (r.stopped) lines.push(`The sync ended early: ${r.stopped}.`);
  const total = (counts) => Object.values(counts).reduce((x, y) => x + y, 0);
  if (Object.keys(r.notDelivered).length) lines.push(`${total(r.notDelivered)} events this store holds did not reach the peer.`);
  if (Object.keys(r.notReceived).length) lines.push(`The peer holds ${total(r.notReceived)} events this store does not.`);
  if (b.conflicts) lines.push(el("a", { href: "#/conflicts" }, "See the conflicts"));
  return el("div", { class: r.failed ? "error" : "" }, lines.map((l) => el("p", {}, l)));
}

// ---- Routing -------------------------------------------------------------------------------

async function route() {
  closePopup();
  closeFind();
  // The banner's status and the view load side by side.
  const status = refreshStatus();
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, search] = hash.split("?");
  const params = new URLSearchParams(search || "");
  try {
    if (path.startsWith("/article/")) await showArticle(path.slice("/article/".length));
    else if (path === "/search") await showSearch(params);
    else if (path === "/conflicts") await showConflicts();
    else if (path === "/changes") await showChanges();
    else if (path === "/sync") await showSync();
    else if (path.startsWith("/library/")) await showLibrary(Number(path.slice("/library/".length)) || 0);
    else await showLibrary(0);
    document.body.dataset.view = path.split("/")[1] || "library";
  } catch (error) {
    $("main").replaceChildren(el("p", { class: "error" }, error.message));
    if (error.status !== 401) toast(error.message, true);
  }
  if (!(await status)) return;
  document.body.dataset.ready = String(Date.now());
  // When the view has been painted, in milliseconds since navigation began (the benchmark reads it).
  requestAnimationFrame(() => setTimeout(() => { document.body.dataset.painted = String(performance.now()); }, 0));
}

// ---- Keyboard ------------------------------------------------------------------------------

function singleKeys() { return localStorage.getItem("daftar.singleKeys") !== "off"; }

function onKey(event) {
  const typing = event.target.closest && event.target.closest("input, textarea, select");
  if (event.key === "Escape") {
    if (!$("help").hidden) closeDialog($("help"));
    else if (!$("popup").hidden) closePopup();
    else if (!$("find").hidden) closeFind();
    else return;
    event.preventDefault();
    return;
  }
  if (typing) {
    if (event.key === "Enter" && event.ctrlKey && event.target.closest("#popup-form")) { event.preventDefault(); save($("popup-form").dataset.mode); }
    return;
  }
  if (event.ctrlKey || event.metaKey) return;
  if (!event.altKey && !singleKeys() && event.key !== "?") return;
  const key = event.altKey ? event.code.replace(/^Key/, "").toLowerCase().replace("slash", "/") : event.key;
  const actions = {
    h: () => openPopup("highlight"), n: () => openPopup("note"), t: () => openPopup("tag"),
    f: openFind, j: () => moveFocus(1), k: () => moveFocus(-1),
    "/": () => { $("q").focus(); $("q").select(); },
    "?": () => { $("help").hidden = false; $("single-keys").focus(); },
  };
  const action = actions[key];
  if (action) { event.preventDefault(); action(); }
}

// ---- Start ---------------------------------------------------------------------------------

function start() {
  $("calendar").value = calendar();
  $("calendar").addEventListener("change", () => { localStorage.setItem("daftar.calendar", $("calendar").value); route(); });
  $("as-of").addEventListener("change", route);
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("q").value.trim();
    if (!q) { $("q").focus(); return; }
    location.hash = "#/search" + query({ q, since: $("f-since").value, until: $("f-until").value, tag: $("f-tag").value, file: $("f-file").value });
  });
  $("popup").addEventListener("click", (event) => {
    const act = event.target.closest("button") && event.target.closest("button").dataset.act;
    if (act === "cancel") closePopup();
    else if (act) openPopup(act);
  });
  $("popup-form").addEventListener("submit", (event) => { event.preventDefault(); save($("popup-form").dataset.mode); });
  $("find-form").addEventListener("submit", (event) => { event.preventDefault(); findNext().catch((error) => toast(error.message, true)); });
  $("help-button").addEventListener("click", () => { $("help").hidden = false; $("single-keys").focus(); });
  $("help-close").addEventListener("click", () => closeDialog($("help")));
  $("single-keys").checked = singleKeys();
  $("single-keys").addEventListener("change", () => localStorage.setItem("daftar.singleKeys", $("single-keys").checked ? "on" : "off"));
  document.addEventListener("keydown", onKey);
  // A selection made with the mouse offers the popup at once.
  document.addEventListener("mouseup", (event) => {
    if (event.target.closest("#popup, #sidebar")) return;
    setTimeout(() => {
      const passage = selectedPassage();
      if (passage && !isPast()) { state.selection = passage; openPopup(null); }
    }, 0);
  });
  window.addEventListener("hashchange", route);
  route();
}

document.addEventListener("DOMContentLoaded", start);
