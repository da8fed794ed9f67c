// Cue edits: each takes the document, a language and a cue id, and makes one undoable change.
// Times snap to the video's frames (fps = [numerator, denominator]).

export function frameMs(fps) { return 1000 * fps[1] / fps[0]; }

// `ms` moved by `frames` frames, on the frame grid.
export function nudge(ms, frames, fps) {
  const f = frameMs(fps);
  return Math.max(0, Math.round((Math.round(ms / f) + frames) * f));
}

export function setText(doc, lang, id, text) {
  doc.change(lang, cues => cues.map(c => (c.id === id ? { ...c, text } : c)), `text:${id}`);
}

export function setTimes(doc, lang, id, start, end) {
  doc.change(lang, cues => cues.map(c => (c.id === id ? { ...c, start, end } : c)));
}

// Split at `at` ms (inside the cue, else its middle); the text at `caret` (else the middle word).
export function split(doc, lang, id, at, caret) {
  const cue = doc.cue(lang, id);
  if (!cue) return null;
  const t = at > cue.start + 100 && at < cue.end - 100 ? Math.round(at) : Math.round((cue.start + cue.end) / 2);
  let k = caret > 0 && caret < cue.text.length ? caret : -1;
  if (k < 0) {
    const mid = cue.text.length / 2;
    const spaces = [...cue.text.matchAll(/\s/g)].map(m => m.index);
    k = spaces.length ? spaces.reduce((a, b) => (Math.abs(b - mid) < Math.abs(a - mid) ? b : a)) : Math.floor(mid);
  }
  const first = cue.text.slice(0, k).trim() || cue.text, second = cue.text.slice(k).trim() || "…";
  const gap = Math.max(1, Math.round(frameMs(doc.fps) * 2));
  const twin = { id: doc.newId(lang), start: Math.min(t + gap, cue.end), end: cue.end, text: second };
  doc.change(lang, cues => [...cues.map(c => (c.id === id ? { ...c, end: t, text: first } : c)), twin]);
  return twin.id;
}

export function mergeNext(doc, lang, id) {
  const cues = doc.tracks[lang], i = doc.find(lang, id);
  if (i < 0 || i + 1 >= cues.length) return false;
  const next = cues[i + 1];
  doc.change(lang, list => list.filter(c => c.id !== next.id).map(c => (c.id === id
    ? { ...c, end: Math.max(c.end, next.end), text: `${c.text} ${next.text}`.replace(/\s+/g, " ").trim() } : c)));
  return true;
}

// A new cue at `at` ms when that time is free in the language, else after the cue `id`.
export function insert(doc, lang, id, at) {
  const cues = doc.tracks[lang], gap = Math.round(frameMs(doc.fps) * 2);
  const free = ms => !cues.some(c => c.start - gap < ms && ms < c.end + gap);
  let start = Math.round(at);
  if (!free(start)) {
    const cur = doc.cue(lang, id);
    start = cur ? cur.end + gap : 0;
  }
  const next = cues.find(c => c.start >= start);
  const end = Math.min(start + 2000, next ? next.start - gap : start + 2000);
  if (end - start < 300) return null;
  const cue = { id: doc.newId(lang), start, end, text: "" };
  doc.change(lang, list => [...list, cue]);
  return cue.id;
}

export function remove(doc, lang, id) {
  const i = doc.find(lang, id);
  if (i < 0) return null;
  const cues = doc.tracks[lang];
  const neighbour = cues[i + 1] || cues[i - 1] || null;
  doc.change(lang, list => list.filter(c => c.id !== id));
  return neighbour && neighbour.id;
}

export function replaceCues(doc, lang, fresh, removed = []) {
  const byId = new Map(fresh.map(c => [c.id, c]));
  const gone = new Set(removed);
  doc.change(lang, cues => [
    ...cues.filter(c => !gone.has(c.id)).map(c => byId.get(c.id) || c),
    ...fresh.filter(c => !cues.some(x => x.id === c.id)),
  ]);
}

export function replaceTrack(doc, lang, cues) { doc.change(lang, () => cues.slice()); }
