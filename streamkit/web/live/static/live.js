// streamkit live pages: the OBS overlay and the moderators' captions page.
// Both follow /events (Server-Sent Events; EventSource reconnects by itself and the server replays
// what was missed). Line layout comes from the server (streamkit.segment's rules): pages only show it.
'use strict';
const streamkitLive = (() => {
  const GAP = '[…]';

  async function follow(handlers) {
    let since = 0;
    try {
      const state = await (await fetch('/api/state')).json();
      since = state.last_id || 0;
      if (handlers.state) handlers.state(state);
    } catch (e) { /* the server is starting: follow from the beginning */ }
    const source = new EventSource('/events?since=' + since);
    for (const [name, fn] of Object.entries(handlers)) {
      if (name !== 'state' && name !== 'open' && name !== 'error') {
        source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
      }
    }
    if (handlers.open) source.onopen = handlers.open;
    if (handlers.error) source.onerror = handlers.error;
    return source;
  }

  function clock(ms) {
    const s = Math.floor(ms / 1000);
    const hh = String(Math.floor(s / 3600)).padStart(2, '0');
    const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
    return `${hh}:${mm}:${String(s % 60).padStart(2, '0')}`;
  }

  // ------------------------------------------------------------------ overlay
  function overlay(root, params) {
    const langs = (params.get('lang') || 'en,ko').split(',').map((l) => l.trim()).filter(Boolean);
    const maxLines = Math.max(1, Math.min(2, parseInt(params.get('lines') || '2', 10) || 2));
    const holdMs = Math.max(1000, (parseFloat(params.get('hold') || '4') || 4) * 1000);
    const boxes = {};
    const timers = {};
    for (const lang of langs) {
      const box = document.createElement('div');
      box.className = 'lang';
      box.dataset.lang = lang;
      root.append(box);
      boxes[lang] = box;
    }

    function show(lang, lines, partial, forMs) {
      const box = boxes[lang];
      clearTimeout(timers[lang]);
      box.replaceChildren(...lines.slice(-maxLines).map((text) => {
        const div = document.createElement('div');
        div.className = 'line' + (partial ? ' partial' : '') + (text === GAP ? ' gap' : '');
        div.dir = 'auto';  // Arabic and Hebrew read right to left
        div.textContent = text;
        return div;
      }));
      timers[lang] = setTimeout(() => box.replaceChildren(), forMs);
    }

    function play(lang, cues) {  // a final sentence of several cues: each in turn, then hold the last
      let at = 0;
      cues.forEach((cue, i) => {
        const last = i === cues.length - 1;
        const ms = last ? holdMs : Math.max(1200, cue.end_ms - cue.start_ms);
        timers[lang + '#' + i] = setTimeout(() => show(lang, cue.lines, false, ms), at);
        at += ms;
      });
    }

    function cancelPlay(lang) {
      for (const key of Object.keys(timers)) if (key.startsWith(lang + '#')) clearTimeout(timers[key]);
    }

    const partials = {};  // lang -> the sentence and lines its partial caption showed last
    const flat = (text) => text.replace(/\s+/g, '');
    function unseen(c) {  // a final's cues from the one on screen: never step back to lines already read
      const p = partials[c.language];
      delete partials[c.language];
      if (!p || p.sentence !== c.sentence) return c.cues;
      // What the viewer read last: play from the cue holding its last letter. The letters may straddle two of
      // the final's cues ("여러 | 차례"): looked for in one cue, they were found in none, and the whole sentence
      // was played again from its first cue.
      const tail = flat(p.text).slice(-4);
      const texts = c.cues.map((cue) => flat(cue.lines.join('')));
      const at = texts.join('').lastIndexOf(tail);
      if (at < 0) return c.cues;
      let last = at + tail.length - 1, i = 0;
      while (i < texts.length - 1 && last >= texts[i].length) { last -= texts[i].length; i++; }
      return c.cues.slice(i);
    }

    follow({
      caption(c) {
        if (!boxes[c.language]) return;
        cancelPlay(c.language);
        if (!c.final) partials[c.language] = { sentence: c.sentence, text: c.lines.join(' ') };
        const cues = c.final ? unseen(c) : [];
        if (cues.length > 1) play(c.language, cues.slice(cues.length > 3 ? -3 : 0));
        else show(c.language, cues.length ? cues[0].lines : c.lines, !c.final, c.final ? holdMs : holdMs * 2);
      },
      gap() { for (const lang of langs.slice(-1)) show(lang, [GAP], false, holdMs); },
    });
  }

  // ------------------------------------------------------------------ captions page
  function history(list, status) {
    const rows = {};

    function row(sentence, startMs) {
      if (!rows[sentence]) {
        const li = document.createElement('li');
        li.dataset.sentence = sentence;
        li.innerHTML = '<span class="time"></span><span class="src"></span><span class="dst"></span>';
        li.querySelector('.time').textContent = clock(startMs);
        list.append(li);
        rows[sentence] = li;
      }
      return rows[sentence];
    }

    function cellFor(li, language) {  // the Korean, or one line per translated language (--to en,ja ...)
      if (language === 'ko') return li.querySelector('.src');
      const dst = li.querySelector('.dst');
      let cell = [...dst.children].find((el) => el.lang === language);
      if (!cell) {
        cell = document.createElement('span');
        cell.lang = language;
        cell.dir = 'auto';
        dst.append(cell);
      }
      return cell;
    }

    function caption(c) {
      const li = row(c.sentence, c.start_ms);
      const cell = cellFor(li, c.language);
      cell.textContent = c.text;
      cell.classList.toggle('partial', !c.final);
      cell.lang = c.language;
      const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
      if (nearBottom) li.scrollIntoView({ block: 'end' });
    }

    function showStatus(s) {
      const lag = (s.lag_ms || 0) / 1000;
      status.textContent = `live · ${clock(s.received_ms || 0)} received · captions ${lag.toFixed(1)} s behind` +
        (s.cheap ? ' (fast mode)' : '');
      status.classList.toggle('behind', lag > 5);
    }

    follow({
      state(state) {
        for (const c of state.captions.sort((a, b) => a.sentence - b.sentence)) caption(c);
        if (state.status && state.status.status) showStatus(state.status.status);
      },
      caption,
      status: showStatus,
      gap(g) {
        const li = document.createElement('li');
        li.className = 'gap';
        li.innerHTML = '<span class="time"></span><span class="src"></span><span></span>';
        li.querySelector('.time').textContent = clock(g.at_ms);
        li.querySelector('.src').textContent = `${GAP} ${Math.round(g.skipped_ms / 1000)} s missing`;
        list.append(li);
      },
      end(summary) {
        status.textContent = `ended · ${summary.audio_s} s of audio · median lag ${summary.lag_s.median} s`;
      },
      error() { status.textContent = 'reconnecting…'; },
    });
  }

  return { overlay, history };
})();
