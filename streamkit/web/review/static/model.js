// The page's editing state: every track as a list of immutable cues {id, start, end, text}
// (integer milliseconds), an undo/redo history of whole-state snapshots (arrays are copied, cues
// shared, so a step costs one array per track), and the rows that align the tracks by time.

export class Doc {
  constructor(tracks) {
    this.langs = tracks.map(t => t.language);
    this.files = Object.fromEntries(tracks.map(t => [t.language, t.file]));
    this.versions = Object.fromEntries(tracks.map(t => [t.language, t.version]));
    this.tracks = Object.fromEntries(tracks.map(t => [t.language, t.cues]));
    this.saved = { ...this.tracks };
    this.undoStack = [];
    this.redoStack = [];
    this.lastKey = null;
    this.lastAt = 0;
    this.nextId = 1;
  }

  newId(lang) { return `${lang}-n${this.nextId++}`; }
  dirty(lang) { return this.tracks[lang] !== this.saved[lang]; }
  anyDirty() { return this.langs.some(l => this.dirty(l)); }
  find(lang, id) { return (this.tracks[lang] || []).findIndex(c => c.id === id); }
  cue(lang, id) { return (this.tracks[lang] || [])[this.find(lang, id)]; }

  // One undoable step. Consecutive steps with the same `key` within 1.5 s (typing in one cue)
  // are one step. `fn(cues)` returns the language's new cue list.
  change(lang, fn, key = null) {
    const now = Date.now();
    const coalesce = key !== null && key === this.lastKey && now - this.lastAt < 1500;
    if (!coalesce) this.undoStack.push({ ...this.tracks });
    if (this.undoStack.length > 500) this.undoStack.shift();
    this.redoStack = [];
    this.lastKey = key;
    this.lastAt = now;
    const next = fn(this.tracks[lang].slice());
    next.sort((a, b) => a.start - b.start || a.end - b.end);
    this.tracks = { ...this.tracks, [lang]: next };
  }

  undo() { return this.#swap(this.undoStack, this.redoStack); }
  redo() { return this.#swap(this.redoStack, this.undoStack); }
  #swap(from, to) {
    if (!from.length) return false;
    to.push({ ...this.tracks });
    this.tracks = from.pop();
    this.lastKey = null;
    return true;
  }

  markSaved(lang, version) {
    this.versions[lang] = version;
    this.saved = { ...this.saved, [lang]: this.tracks[lang] };
  }

  // A track taken from disk (after a conflict): the new saved state, undoable.
  load(lang, cues, version) {
    this.change(lang, () => cues);
    this.markSaved(lang, version);
  }
}

// Rows that align the tracks by time: a cue joins the current row when it starts before the
// row ends and the row has no cue of its language yet; otherwise it opens a new row.
export function buildRows(langs, tracks) {
  const items = [];
  langs.forEach((lang, k) => tracks[lang].forEach(cue => items.push({ lang, k, cue })));
  items.sort((a, b) => a.cue.start - b.cue.start || a.k - b.k);
  const rows = [];
  const where = new Map();
  let row = null;
  for (const { lang, cue } of items) {
    if (!row || cue.start >= row.end || row.cells[lang]) {
      row = { start: cue.start, end: cue.end, cells: {} };
      rows.push(row);
    }
    row.cells[lang] = cue;
    row.end = Math.max(row.end, cue.end);
    where.set(cue.id, rows.length - 1);
  }
  return { rows, where };
}

// The cue of `cues` (in time order) shown at `ms`, or null.
export function cueAt(cues, ms) {
  let lo = 0, hi = cues.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid].start > ms) hi = mid - 1;
    else if (cues[mid].end <= ms) lo = mid + 1;
    else return cues[mid];
  }
  return null;
}

export function clock(ms) {
  const sign = ms < 0 ? "-" : "";
  ms = Math.abs(Math.round(ms));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${sign}${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

// "01:02:03.456", "2:03,5", "63.4" -> milliseconds; NaN when it is not a time.
export function parseClock(text) {
  const m = /^\s*(?:(\d+):)?(?:(\d+):)?(\d+)(?:[.,](\d{1,3}))?\s*$/.exec(text);
  if (!m) return NaN;
  const parts = [m[1], m[2]].filter(x => x !== undefined).map(Number);
  const [h, min] = parts.length === 2 ? parts : [0, parts[0] || 0];
  const ms = m[4] ? Number(m[4].padEnd(3, "0")) : 0;
  return ((h * 60 + min) * 60 + Number(m[3])) * 1000 + ms;
}
