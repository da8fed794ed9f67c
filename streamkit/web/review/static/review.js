// The review page: wires the document (model.js), the edits (ops.js), the server's API and the
// keyboard together. The list renders only the rows in view (a 3-hour show has ~6,000 cues).
import { Doc, buildRows, cueAt, clock, parseClock } from "./model.js";
import * as ops from "./ops.js";

const ROW_H = 64, OVERSCAN = 6;
const $ = sel => document.querySelector(sel);
const video = $("#video"), list = $("#list"), spacer = $("#spacer");
const NAMES = { ko: "한국어 Korean", en: "English", ja: "日本語", zh: "中文", es: "Español" };

const state = {
  doc: null, session: null, rows: [], where: new Map(), problems: new Map(), uncovered: null,
  touched: new Set(), review: new Set(), retranslation: null, sel: null, checkSeq: 0, checkTimer: 0, follow: true,
};

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw Object.assign(new Error(data.error || res.statusText), { status: res.status, data });
  return data;
}

function status(text, kind = "") {
  const el = $("#status");
  el.textContent = text;
  el.className = kind;
}

// ------------------------------------------------------------------ checking

function scheduleCheck(delay = 350) {
  clearTimeout(state.checkTimer);
  state.checkTimer = setTimeout(runCheck, delay);
}

async function runCheck() {
  const seq = ++state.checkSeq;
  try {
    showCheck(await api("/api/check", { tracks: state.doc.tracks }), seq);
  } catch (err) { status(`check failed: ${err.message}`, "error"); }
}

function showCheck(result, seq = state.checkSeq) {
  if (seq !== state.checkSeq) return; // an older answer after a newer edit
  state.problems = new Map();
  for (const found of Object.values(result.problems)) {
    for (const p of found) {
      if (!state.problems.has(p.id)) state.problems.set(p.id, []);
      state.problems.get(p.id).push(p);
    }
  }
  state.uncovered = result.uncovered;
  document.body.dataset.checked = String(seq); // the problems on screen are the server's answer
  if (result.names_pending) scheduleCheck(1500); // the glossary check of a long show is still running
  const parts = state.doc.langs.map(lang => {
    const c = result.counts[lang] || { error: 0, warning: 0 };
    const voiced = c["no-cue"] === undefined ? "" :
      ` · <button class="link" data-voiced="${lang}">${c["no-cue"]} voiced, no cue</button>`;
    return `<span class="count"><b>${lang}</b> <span class="${c.error ? "n-err" : "n-ok"}">${c.error} errors</span>` +
      ` · <span class="${c.warning ? "n-warn" : "n-ok"}">${c.warning} warnings</span>${voiced}</span>`;
  });
  $("#counts").innerHTML = parts.join("");
  renderList();
  renderEditor();
}

// ------------------------------------------------------------------ the list

function rebuild() {
  const { rows, where } = buildRows(state.doc.langs, state.doc.tracks);
  state.rows = rows;
  state.where = where;
  spacer.style.height = `${rows.length * ROW_H}px`;
}

function cellHtml(lang, cue) {
  if (!cue) return `<div class="cell empty" data-lang="${lang}"></div>`;
  const found = state.problems.get(cue.id) || [];
  const cls = ["cell"];
  if (found.some(p => p.severity === "error")) cls.push("flag-error");
  else if (found.length) cls.push("flag-warning");
  if (state.touched.has(cue.id)) cls.push("touched");
  if (state.review.has(cue.id)) cls.push("review");
  if (state.sel && state.sel.id === cue.id) cls.push("selected");
  const badges = found.map(p => `<span class="badge ${p.severity}" title="${esc(p.message)}">${p.code}</span>`);
  return `<div class="${cls.join(" ")}" data-lang="${lang}" data-id="${cue.id}">` +
    `<div class="text">${esc(cue.text) || "<i>(empty)</i>"}</div><div class="badges">${badges.join("")}</div></div>`;
}

function renderList() {
  const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(state.rows.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW_H) + OVERSCAN);
  const now = video.currentTime * 1000;
  const html = [];
  for (let i = first; i < last; i++) {
    const row = state.rows[i];
    const playing = row.start <= now && now < row.end ? " playing" : "";
    html.push(`<div class="row${playing}" style="top:${i * ROW_H}px" data-row="${i}">` +
      `<div class="when"><span class="n">${i + 1}</span>${clock(row.start)}<br>${clock(row.end)}</div>` +
      state.doc.langs.map(lang => cellHtml(lang, row.cells[lang])).join("") + "</div>");
  }
  $("#rows").innerHTML = html.join("");
}

function scrollToRow(i) {
  const top = i * ROW_H;
  if (top < list.scrollTop || top + ROW_H > list.scrollTop + list.clientHeight) {
    list.scrollTop = Math.max(0, top - list.clientHeight / 3);
  }
}

function esc(text) {
  return String(text).replace(/[&<>"]/g, ch => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]);
}

// ------------------------------------------------------------------ selection and the editor

function select(lang, id, { seek = true } = {}) {
  const cue = state.doc.cue(lang, id);
  if (!cue) return;
  state.sel = { lang, id };
  if (seek) video.currentTime = cue.start / 1000 + 0.001;
  scrollToRow(state.where.get(id) ?? 0);
  renderList();
  renderEditor();
}

function selected() {
  return state.sel && state.doc.cue(state.sel.lang, state.sel.id);
}

function renderEditor() {
  const cue = selected();
  $("#editor").classList.toggle("none", !cue);
  if (!cue) return;
  const { lang } = state.sel;
  $("#ed-lang").textContent = `${NAMES[lang] || lang} · cue ${state.doc.find(lang, cue.id) + 1} of ${state.doc.tracks[lang].length}`;
  const text = $("#ed-text");
  if (text.value !== cue.text) text.value = cue.text;
  for (const [sel, ms] of [["#ed-in", cue.start], ["#ed-out", cue.end]]) {
    const input = $(sel);
    if (document.activeElement !== input) { input.value = clock(ms); input.classList.remove("bad"); }
  }
  $("#ed-dur").textContent = `${((cue.end - cue.start) / 1000).toFixed(3)} s`;
  const found = state.problems.get(cue.id) || [];
  $("#ed-problems").innerHTML = found.length
    ? found.map(p => `<li class="${p.severity}"><b>${p.code}</b> ${esc(p.message)}</li>`).join("")
    : `<li class="ok">no problems</li>`;
}

// ------------------------------------------------------------------ edits

function changed() {
  rebuild(); // cues are immutable: the rows must point at the new ones
  renderList();
  renderEditor();
  renderCaptions();
  $("#save").classList.toggle("dirty", state.doc.anyDirty());
  $("#undo").disabled = !state.doc.undoStack.length;
  $("#redo").disabled = !state.doc.redoStack.length;
  scheduleCheck();
}

function withCue(fn) {
  const cue = selected();
  if (!cue) { status("select a cue first"); return; }
  fn(state.sel.lang, cue);
}

function setTime(which, ms) {
  withCue((lang, cue) => {
    if (Number.isNaN(ms) || ms < 0) { status("not a time: use HH:MM:SS.mmm", "error"); return; }
    const [start, end] = which === "in" ? [ms, cue.end] : [cue.start, ms];
    ops.setTimes(state.doc, lang, cue.id, start, end);
    changed();
  });
}

const nudgeTime = (which, frames) => withCue((_, cue) =>
  setTime(which, ops.nudge(which === "in" ? cue.start : cue.end, frames, state.doc.fps)));

const ACTIONS = {
  play: () => {
    if (!video.paused) return video.pause();
    // A pause before playback starts rejects play() with AbortError: the editor's own double press.
    video.play().catch(err => { if (err.name !== "AbortError") status(`cannot play: ${err.message}`, "error"); });
  },
  prev: () => step(-1),
  next: () => step(1),
  setIn: () => setTime("in", Math.round(video.currentTime * 1000)),
  setOut: () => setTime("out", Math.round(video.currentTime * 1000)),
  inBack: () => nudgeTime("in", -1), inFwd: () => nudgeTime("in", 1),
  outBack: () => nudgeTime("out", -1), outFwd: () => nudgeTime("out", 1),
  split: () => withCue((lang, cue) => {
    const caret = document.activeElement === $("#ed-text") ? $("#ed-text").selectionStart : -1;
    const id = ops.split(state.doc, lang, cue.id, video.currentTime * 1000, caret);
    changed();
    if (id) select(lang, cue.id, { seek: false });
  }),
  merge: () => withCue((lang, cue) => { if (ops.mergeNext(state.doc, lang, cue.id)) changed(); }),
  insert: () => {
    const lang = state.sel ? state.sel.lang : state.doc.langs[0];
    const id = ops.insert(state.doc, lang, state.sel && state.sel.id, video.currentTime * 1000);
    if (!id) { status("no room for a new cue here", "error"); return; }
    changed();
    select(lang, id, { seek: false });
    $("#ed-text").focus();
  },
  remove: () => withCue((lang, cue) => {
    const next = ops.remove(state.doc, lang, cue.id);
    state.sel = next ? { lang, id: next } : null;
    changed();
  }),
  undo: () => { if (state.doc.undo()) changed(); },
  redo: () => { if (state.doc.redo()) changed(); },
  fix: () => withCue((lang, cue) => fix(lang, cue.id)),
  fixAll: async () => { for (const lang of state.doc.langs) await fix(lang, null); },
  save: () => saveAll(),
  retranslate: () => retranslate(),
  mux: () => mux(),
};

function step(dir) {
  const lang = state.sel ? state.sel.lang : state.doc.langs[0];
  const cues = state.doc.tracks[lang];
  if (!cues.length) return;
  let i = state.sel ? state.doc.find(lang, state.sel.id) : -1;
  if (i < 0) {
    const now = video.currentTime * 1000;
    i = cues.findIndex(c => c.end > now) - (dir > 0 ? 1 : 0);
  }
  const j = Math.min(cues.length - 1, Math.max(0, i + dir));
  select(lang, cues[j].id);
}

async function fix(lang, id) {
  try {
    const body = { language: lang, cues: state.doc.tracks[lang] };
    if (id) body.id = id;
    const result = await api("/api/fix", body);
    if (id) ops.replaceCues(state.doc, lang, result.cues, result.removed);
    else ops.replaceTrack(state.doc, lang, result.cues);
    const what = [...new Set(result.changes.map(c => c.what))].join(", ");
    status(result.changes.length ? `${lang}: ${result.changes.length} fix(es): ${what}` : `${lang}: nothing to fix safely`);
    changed();
  } catch (err) { status(err.message, "error"); }
}

// ------------------------------------------------------------------ re-translate, save, mux

async function retranslate() {
  status("re-translating the Korean you changed…");
  try {
    const result = await api("/api/retranslate", { ko: state.doc.tracks.ko, en: state.doc.tracks.en });
    ops.replaceTrack(state.doc, "en", result.cues);
    state.touched = new Set(result.touched);
    state.retranslation = { token: result.token, ids: result.touched };
    state.review = new Set(result.review);
    const review = result.review.length ? `; ${result.review.length} kept (your edit) to review` : "";
    status(`re-translated ${result.sent} sentence(s): ${result.touched.length} English cue(s) new${review}`, "ok");
    changed();
    if (result.touched.length) select("en", result.touched[0], { seek: false });
  } catch (err) { status(err.message + (err.data && err.data.hint ? ` (${err.data.hint})` : ""), "error"); }
}

async function saveTrack(lang, version) {
  const body = { language: lang, version, cues: state.doc.tracks[lang] };
  const r = state.retranslation;
  // The draft record goes with the English only while it still holds that re-translation (not undone).
  if (lang === "en" && r && (!r.ids.length || r.ids.some(id => state.doc.find("en", id) >= 0))) body.retranslation = r.token;
  const result = await api("/api/save", body);
  state.doc.markSaved(lang, result.version);
  if (lang === "en") state.retranslation = null;
  return result;
}

async function saveAll() {
  const dirty = state.doc.langs.filter(l => state.doc.dirty(l));
  if (!dirty.length) { status("nothing to save"); return true; }
  for (const lang of dirty) {
    try {
      await saveTrack(lang, state.doc.versions[lang]);
    } catch (err) {
      if (err.status === 409) { conflict(lang, err.data); return false; }
      status(`${state.doc.files[lang]}: ${err.message}`, "error");
      if (err.data && err.data.cue) select(lang, err.data.cue);
      return false;
    }
  }
  status(`saved ${dirty.map(l => state.doc.files[l]).join(", ")}`, "ok");
  changed();
  return true;
}

function conflict(lang, data) {
  const dialog = $("#conflict");
  $("#conflict-msg").textContent = data.error;
  $("#conflict-list").innerHTML = data.changes.map(c =>
    `<li>cue ${c.cue} at ${clock(c.start)}: ${c.was === null ? "added" : c.now === null ? "removed" : "changed"}` +
    `${c.was !== null ? ` <del>${esc(c.was)}</del>` : ""}${c.now !== null ? ` <ins>${esc(c.now)}</ins>` : ""}</li>`).join("");
  dialog.returnValue = "";
  dialog.onclose = async () => {
    try {
      if (dialog.returnValue === "theirs") {
        const fresh = await api(`/api/track/${lang}`);
        state.doc.load(lang, fresh.cues, fresh.version);
        status(`loaded ${fresh.file} from disk`, "ok");
      } else if (dialog.returnValue === "mine") {
        await saveTrack(lang, data.disk);
        status(`saved ${state.doc.files[lang]} over the other version`, "ok");
      } else {
        status(`not saved: ${data.error}`, "error");
      }
      changed();
    } catch (err) { status(err.message, "error"); }
  };
  dialog.showModal();
}

async function mux() {
  if (state.doc.anyDirty() && !(await saveAll())) return;
  // Said before asking: a short replay can be written, and its "done" event shown, before the request returns.
  status("muxing the replay…");
  try {
    await api("/api/mux", {});
  } catch (err) { status(err.message, "error"); }
}

function listen() {
  const events = new EventSource("/events");
  events.addEventListener("checked", () => scheduleCheck(0));
  events.addEventListener("mux", e => {
    const m = JSON.parse(e.data);
    const bar = $("#mux-progress");
    bar.hidden = m.state !== "running";
    if (m.state === "running") bar.value = m.total ? m.done / m.total : 0;
    else if (m.state === "done") status(`replay written: ${m.file}`, "ok");
    else status(`mux failed: ${m.error}`, "error");
  });
}

// ------------------------------------------------------------------ captions and the playhead

function renderCaptions() {
  const now = video.currentTime * 1000;
  $("#clock").textContent = clock(now);
  const lines = state.doc.langs.slice().reverse().map(lang => {
    const cue = cueAt(state.doc.tracks[lang], now);
    return cue ? `<div class="cap cap-${lang}">${esc(cue.text).replace(/\n/g, "<br>")}</div>` : "";
  });
  $("#captions").innerHTML = lines.join("");
}

function onTime() {
  renderCaptions();
  if (!video.paused && state.follow) {
    const cue = cueAt(state.doc.tracks[state.doc.langs[0]], video.currentTime * 1000);
    if (cue) scrollToRow(state.where.get(cue.id) ?? 0);
  }
  renderList();
}

// ------------------------------------------------------------------ keys

const KEYS = [
  // [test, action, shown, what]; `typing`: also while the cursor is in a text field
  [e => e.ctrlKey && e.code === "Space", "play", "Ctrl+Space", "play / pause (Space outside text fields)", true],
  [e => !e.ctrlKey && !e.altKey && e.code === "Space", "play", null, null, false],
  [e => e.altKey && e.key === "ArrowUp", "prev", "Alt+↑", "previous cue (↑ outside text fields)", true],
  [e => e.altKey && e.key === "ArrowDown", "next", "Alt+↓", "next cue (↓ outside text fields)", true],
  [e => !e.altKey && e.key === "ArrowUp", "prev", null, null, false],
  [e => !e.altKey && e.key === "ArrowDown", "next", null, null, false],
  [e => e.altKey && e.code === "KeyI", "setIn", "Alt+I", "set in to the playhead", true],
  [e => e.altKey && e.code === "KeyO", "setOut", "Alt+O", "set out to the playhead", true],
  [e => e.altKey && !e.shiftKey && e.key === "ArrowLeft", "inBack", "Alt+← / Alt+→", "in one frame earlier / later", true],
  [e => e.altKey && !e.shiftKey && e.key === "ArrowRight", "inFwd", null, null, true],
  [e => e.altKey && e.shiftKey && e.key === "ArrowLeft", "outBack", "Alt+Shift+← / →", "out one frame earlier / later", true],
  [e => e.altKey && e.shiftKey && e.key === "ArrowRight", "outFwd", null, null, true],
  [e => e.altKey && e.code === "KeyS", "split", "Alt+S", "split at the playhead (text at the cursor)", true],
  [e => e.altKey && e.code === "KeyM", "merge", "Alt+M", "merge with the next cue", true],
  [e => e.altKey && e.code === "KeyN", "insert", "Alt+N", "new cue at the playhead (or after this one)", true],
  [e => e.altKey && e.key === "Delete", "remove", "Alt+Delete", "delete the cue", true],
  [e => e.altKey && e.code === "KeyF", "fix", "Alt+F", "apply the safe fixes to the cue", true],
  [e => (e.ctrlKey || e.metaKey) && !e.shiftKey && e.code === "KeyZ", "undo", "Ctrl+Z", "undo", true],
  [e => (e.ctrlKey || e.metaKey) && (e.code === "KeyY" || (e.shiftKey && e.code === "KeyZ")), "redo",
    "Ctrl+Y / Ctrl+Shift+Z", "redo", true],
  [e => (e.ctrlKey || e.metaKey) && e.code === "KeyS", "save", "Ctrl+S", "save every changed file", true],
];

function onKey(e) {
  const typing = /^(TEXTAREA|INPUT|SELECT)$/.test(document.activeElement.tagName);
  for (const [test, action, , , always] of KEYS) {
    if ((always || !typing) && test(e)) {
      e.preventDefault();
      ACTIONS[action]();
      return;
    }
  }
}

function showKeys() {
  $("#keys-table").innerHTML = KEYS.filter(k => k[2])
    .map(([, , keys, what]) => `<tr><td><kbd>${keys}</kbd></td><td>${what}</td></tr>`).join("");
}

// ------------------------------------------------------------------ start

function wire() {
  for (const el of document.querySelectorAll("[data-action]")) el.addEventListener("click", () => ACTIONS[el.dataset.action]());
  $("#rows").addEventListener("click", e => {
    const cell = e.target.closest(".cell[data-id]");
    if (cell) select(cell.dataset.lang, cell.dataset.id);
  });
  $("#counts").addEventListener("click", e => {
    const lang = e.target.dataset.voiced;
    if (!lang || !state.uncovered) return;
    const spans = state.uncovered[lang] || [];
    const now = video.currentTime * 1000 + 10;
    const next = spans.find(s => s[0] > now) || spans[0];
    if (next) { video.currentTime = next[0] / 1000; status(`voiced with no ${lang} cue: ${clock(next[0])}–${clock(next[1])} (Alt+N adds one)`); }
  });
  $("#ed-text").addEventListener("input", e => withCue((lang, cue) => {
    ops.setText(state.doc, lang, cue.id, e.target.value);
    changed();
  }));
  for (const which of ["in", "out"]) {
    $(`#ed-${which}`).addEventListener("change", e => {
      const ms = parseClock(e.target.value);
      e.target.classList.toggle("bad", Number.isNaN(ms));
      if (!Number.isNaN(ms)) setTime(which, ms);
    });
  }
  $("#follow").addEventListener("change", e => { state.follow = e.target.checked; });
  list.addEventListener("scroll", () => requestAnimationFrame(renderList), { passive: true });
  window.addEventListener("resize", () => renderList());
  video.addEventListener("timeupdate", onTime);
  video.addEventListener("seeked", onTime);
  video.addEventListener("play", () => { $("#play").textContent = "Pause"; });
  video.addEventListener("pause", () => { $("#play").textContent = "Play"; });
  document.addEventListener("keydown", onKey);
  window.addEventListener("beforeunload", e => { if (state.doc.anyDirty()) e.preventDefault(); });
}

async function start() {
  const session = await api("/api/session");
  state.session = session;
  state.doc = new Doc(session.tracks);
  state.doc.fps = session.video.fps;
  document.title = `${session.video.name} · streamkit review`;
  $("#show").textContent = session.video.name;
  $("#head").innerHTML = `<div class="when">#&nbsp; time</div>` + state.doc.langs.map(lang =>
    `<div class="cell">${NAMES[lang] || lang} <small>${esc(state.doc.files[lang])}</small></div>`).join("");
  document.documentElement.style.setProperty("--langs", state.doc.langs.length);
  $("#retranslate").hidden = !session.retranslate;
  showKeys();
  wire();
  rebuild();
  renderCaptions();
  changed(); // renders, then checks at once
  scheduleCheck(0);
  listen();
  document.body.dataset.ready = "1";
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  status(`${state.doc.langs.map(l => `${state.doc.tracks[l].length} ${l}`).join(" · ")} cues loaded`);
}

start().catch(err => status(`could not load: ${err.message}`, "error"));
